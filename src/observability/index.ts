export { AllExceptionsFilter } from './all-exceptions.filter';
export { installHttpMetrics } from './http-metrics';
export { createRootLogger, REDACTED_PATHS } from './logger';
export { Metrics } from './metrics';
export { ObservabilityModule } from './observability.module';
export { ReadinessGates } from './readiness';
export type { GateState } from './readiness';
export { LogLevelError, LogLevels } from './log-levels';
