import { execFileSync } from 'node:child_process';

/**
 * Builds the bundle `npm start` runs, once, before any test file: the process tests
 * (shutdown, smoke runs, the version refusal) start it, and building it inside one of
 * them would delete it under another running in parallel.
 */
export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: new URL('..', import.meta.url), stdio: 'inherit' });
}
