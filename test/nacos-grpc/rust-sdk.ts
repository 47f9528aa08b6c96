import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { NacosServiceInstance } from 'nacos-sdk-rust-binding-node';

interface DriverMessage {
  id?: number;
  result?: unknown;
  error?: string;
  event?: 'ready' | 'push';
  client?: string;
  service?: string;
  instances?: NacosServiceInstance[] | null;
}

export interface SdkPush {
  client: string;
  service: string;
  instances: NacosServiceInstance[];
  at: number;
}

/** The Rust Nacos SDK in a child process; every call is forwarded over IPC. */
export class RustSdkDriver {
  readonly pushes: SdkPush[] = [];
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private sequence = 0;
  readonly ready: Promise<void>;

  constructor() {
    this.child = fork(resolve(__dirname, 'rust-sdk-driver.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.ready = new Promise((resolveReady, rejectReady) => {
      this.child.once('exit', (code) => rejectReady(new Error(`rust SDK driver exited (${code})`)));
      this.child.on('message', (message: DriverMessage) => {
        if (message.event === 'ready') resolveReady();
        else if (message.event === 'push' && message.instances) {
          this.pushes.push({
            client: message.client!,
            service: message.service!,
            instances: message.instances,
            at: Date.now(),
          });
        } else if (message.id !== undefined) {
          const waiter = this.waiting.get(message.id);
          this.waiting.delete(message.id);
          if (message.error !== undefined) waiter?.reject(new Error(message.error));
          else waiter?.resolve(message.result);
        }
      });
    });
  }

  call<T = unknown>(client: string, op: string, ...args: unknown[]): Promise<T> {
    const id = ++this.sequence;
    return new Promise<T>((resolveCall, rejectCall) => {
      this.waiting.set(id, { resolve: resolveCall, reject: rejectCall });
      this.child.send({ id, client, op, args });
    });
  }

  /** Kills the process like a crash (no goodbye to the server). */
  kill(): void {
    this.child.kill('SIGKILL');
  }
}
