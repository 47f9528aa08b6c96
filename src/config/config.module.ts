import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { AppConfig } from './app-config';

/** Provides the one AppConfig read at boot to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] };
  }
}
