/**
 * Runs the MCP Inspector CLI (`@modelcontextprotocol/inspector-cli`, its `mcp-inspector-cli`
 * bin in CLI mode) against a running gateway's `/mcp`, as a child process: a client this
 * project did not write, driven the way its users drive it.
 * @example
 * const { tools } = await inspect(gw, ['--method', 'tools/list']);
 * await inspect(gw, ['--method', 'tools/call', '--tool-name', 'x', '--tool-arg', 'runId=r-1']);
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';

const BIN = resolve(__dirname, '../../node_modules/.bin/mcp-inspector-cli');
/**
 * The CLI (1.0.3) imports its own package.json through a path it checks relative to the working
 * directory (`../package.json`): run it from its build folder so that check finds it.
 */
const CWD = join(dirname(require.resolve('@modelcontextprotocol/inspector-cli/package.json')), 'build');

/** What the CLI printed, parsed; its shape is the assertions' to check. */
// biome-ignore lint/suspicious/noExplicitAny: results are checked by expect()
type InspectorResult = any;

interface InspectorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI's stdout parsed as JSON (it prints the method's result); throws with its output when it
 * fails or when it has not finished within `timeoutMs` (its process group is killed then).
 */
export async function inspect(
  gw: { url: string },
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<InspectorResult> {
  const run = await runInspector([`${gw.url}/mcp`, '--transport', 'http', ...args], timeoutMs);
  if (run.code !== 0) throw new Error(`inspector-cli exited ${run.code}: ${run.stderr}\n${run.stdout}`);
  return JSON.parse(run.stdout);
}

/** Runs `mcp-inspector-cli --cli <args>`, its own process group, killed at the deadline. */
function runInspector(args: readonly string[], timeoutMs: number): Promise<InspectorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['--cli', ...args], {
      cwd: CWD,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`inspector-cli did not finish within ${timeoutMs} ms: ${stderr}\n${stdout}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
