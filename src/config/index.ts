export { AppConfig, ENV_VARIABLES, EnvError } from './app-config';
export { ConfigModule } from './config.module';
