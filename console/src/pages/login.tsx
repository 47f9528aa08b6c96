import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Me } from '../api';
import { ErrorBox, inputValue, useAction } from '../ui';

export function Login({ onIn }: { onIn: (me: Me) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => onIn(await api<Me>('POST', '/auth/login', { username, password })));
  };
  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit}>
        <h1>distro-sync</h1>
        <p class="muted">Sign in to the console of this region.</p>
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onInput={(e) => setUsername(inputValue(e))} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(inputValue(e))}
          />
        </label>
        <ErrorBox error={action.error} />
        <button class="btn btn-primary" type="submit" disabled={action.busy || !username || !password}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">
          The first admin comes from <code>ADMIN_USERNAME</code>/<code>ADMIN_PASSWORD</code> at start, or{' '}
          <code>npm run user -- add &lt;name&gt; --role admin</code>.
        </p>
      </form>
    </div>
  );
}
