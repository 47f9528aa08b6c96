import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, useSession } from './api';
import type { Me } from './api';
import { Login } from './pages/login';
import { Overview } from './pages/overview';
import { Clusters } from './pages/clusters';
import { Tasks } from './pages/tasks';
import { TaskDetail } from './pages/task-detail';
import { Services } from './pages/services';
import { Workers } from './pages/workers';
import './style.css';

const PAGES = [
  ['overview', 'Overview'],
  ['clusters', 'Clusters'],
  ['tasks', 'Tasks'],
  ['services', 'Services'],
  ['workers', 'Workers'],
] as const;

/** Hash routes (#/tasks/<id>): the node serves one index.html, and a reload keeps the page. */
function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'overview').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function Page({ route, me }: { route: string[]; me: Me }) {
  const [page, id] = route;
  switch (page) {
    case 'clusters':
      return <Clusters me={me} />;
    case 'tasks':
      return id ? <TaskDetail id={id} me={me} /> : <Tasks me={me} />;
    case 'services':
      return <Services />;
    case 'workers':
      return <Workers />;
    default:
      return <Overview />;
  }
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const route = useRoute();
  useSession(me ?? null, () => setMe(null));

  useEffect(() => {
    api<Me>('GET', '/auth/me')
      .then(setMe)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) setMe(null);
        else setError(err instanceof Error ? err.message : String(err));
      });
  }, []);

  const logout = async () => {
    try {
      await api('POST', '/auth/logout');
    } finally {
      setMe(null);
    }
  };

  if (me === undefined)
    return <div class="boot">{error ? <div class="alert alert-error">{error}</div> : 'Loading…'}</div>;
  if (me === null) return <Login onIn={setMe} />;
  return (
    <div class="shell">
      <nav class="side">
        <div class="brand">distro-sync</div>
        {PAGES.map(([path, label]) => (
          <a key={path} href={`#/${path}`} class={route[0] === path ? 'active' : ''}>
            {label}
          </a>
        ))}
        <div class="who">
          <div>
            <strong data-test="username">{me.username ?? (me.via === 'open' ? 'open mode' : me.via)}</strong>
          </div>
          <div class="muted" data-test="role">
            {me.role}
          </div>
          {me.via === 'session' ? (
            <button class="btn btn-small btn-ghost" onClick={() => void logout()}>
              Log out
            </button>
          ) : null}
        </div>
      </nav>
      <main class="main">
        {me.via === 'open' ? (
          <div class="alert alert-warn">
            No one is signed in: this node runs in open mode (no <code>ADMIN_TOKEN</code> and no user yet), so anyone
            reaching it may change everything. Create the first admin with <code>ADMIN_USERNAME</code>/
            <code>ADMIN_PASSWORD</code> or <code>npm run user -- add</code>.
          </div>
        ) : null}
        <Page route={route} me={me} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
