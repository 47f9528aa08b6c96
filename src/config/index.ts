export { AppConfig } from './app-config';
export { ConfigModule } from './config.module';
export { EnvError, envSchema, parseEnv } from './env.schema';
