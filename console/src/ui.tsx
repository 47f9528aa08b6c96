import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** How often live pages read again (task state, Distro state). */
export const LIVE_MS = 2000;

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/**
 * Loads `load()` now and again every `everyMs` while the tab is visible (0 = once); a failure keeps
 * the last data and shows the error. `key` restarts it (a new id, a new page).
 */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, key = ''): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => setData(undefined), [key]);
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      if (document.visibilityState !== 'hidden') {
        try {
          const value = await loader.current();
          if (alive) {
            setData(value);
            setError(undefined);
          }
        } catch (err) {
          if (alive) setError(err instanceof Error ? err.message : String(err));
        }
      }
      if (alive && everyMs > 0) timer = setTimeout(() => void run(), everyMs);
    };
    void run();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, [key, tick, everyMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/** Runs a change; while it runs the button is busy, a refusal is shown where the user looks. */
export function useAction(): {
  busy: boolean;
  error: string | undefined;
  notice: string | undefined;
  run: (what: () => Promise<unknown>, done?: string) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const run = async (what: () => Promise<unknown>, done?: string): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      await what();
      if (done) setNotice(done);
      return true;
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      const message = err instanceof Error ? err.message : String(err);
      setError(status === 403 ? `not allowed: ${message}` : message);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, notice, run, clear: () => (setError(undefined), setNotice(undefined)) };
}

export function ErrorBox({ error }: { error: string | undefined }) {
  return error ? (
    <div class="alert alert-error" role="alert">
      {error}
    </div>
  ) : null;
}

export function Notice({ text }: { text: string | undefined }) {
  return text ? (
    <div class="alert alert-ok" role="status">
      {text}
    </div>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export function Badge({ tone, children, title }: { tone: Tone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Reach({ value, what }: { value: boolean | null; what: string }) {
  if (value === null) return <Badge tone="muted">{what} ?</Badge>;
  return value ? <Badge tone="ok">{what} up</Badge> : <Badge tone="bad">{what} unreachable</Badge>;
}

export function Card({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>{title}</h2>
        {actions ? <div class="card-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

/** "3 s ago", "in 4 min", or a dash. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const ms = now - new Date(iso).getTime();
  const future = ms < 0;
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
  return future ? `in ${text}` : `${text} ago`;
}

export function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function Pager({
  page,
  pageSize,
  total,
  go,
}: {
  page: number;
  pageSize: number;
  total: number;
  go: (p: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <div class="pager">
      <button class="btn btn-small" disabled={page <= 1} onClick={() => go(page - 1)}>
        ← Previous
      </button>
      <span class="muted">
        page {page} of {pages} · {total} in all
      </span>
      <button class="btn btn-small" disabled={page >= pages} onClick={() => go(page + 1)}>
        Next →
      </button>
    </div>
  );
}

export function inputValue(e: Event): string {
  return (e.currentTarget as HTMLInputElement).value;
}
