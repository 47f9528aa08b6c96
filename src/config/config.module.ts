import { Global, Module } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';
import { AppConfig } from './app-config';

/** Provides the one AppConfig read at boot to every module, and each of its sections on its own. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const sections: Provider[] = config.allSections().map((section) => ({
      provide: section.constructor,
      useValue: section,
    }));
    const providers: Provider[] = [{ provide: AppConfig, useValue: config }, ...sections];
    return { module: ConfigModule, providers, exports: providers };
  }
}
