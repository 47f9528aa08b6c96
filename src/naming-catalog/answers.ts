import { NacosRequestError } from '@/nacos/http/nacos-errors';

/** Runs an async call, turning a NacosRequestError into the v1 answer (plain text). */
export async function v1Answer<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof NacosRequestError) throw error.toV1();
    throw error;
  }
}

/** Runs an async call, turning a NacosRequestError into the v2 answer (the `{code, message, data}` envelope). */
export async function v2Answer<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof NacosRequestError) throw error.toV2();
    throw error;
  }
}
