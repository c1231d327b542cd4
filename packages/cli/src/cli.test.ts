import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { cli } from '../test/cli-harness.js';

describe('mini-llama', () => {
  it('--help lists every command and exits 0', async () => {
    const run = await cli('--help');
    expect(run.code).toBe(0);
    for (const command of ['demo', 'generate', 'forward', 'convert', 'info', 'bench']) {
      expect(run.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    }
  });

  it('generate --help documents that EOS stays in the JSON tokens', async () => {
    const run = await cli('generate', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The EOS token is kept in');
    expect(run.stdout).toContain('--max-new-tokens <n>');
  });

  it('--version prints the package version', async () => {
    const run = await cli('--version');
    expect(run.stdout).toBe(`${packageJson.version}\n`);
  });

  it('turns commander errors into one line naming the command', async () => {
    const typo = await cli('genrate');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe("mini-llama: unknown command 'genrate' (Did you mean generate?)\n");
    const option = await cli('info', 'x', '--bogus');
    expect(option.stderr).toBe("mini-llama info: unknown option '--bogus'\n");
    const conflict = await cli('generate', '--model', 'm', '--prompt', 'a', '--prompt-tokens', '1');
    expect(conflict.stderr).toBe(
      "mini-llama generate: option '--prompt <text>' cannot be used with option '--prompt-tokens <ids>'\n",
    );
  });

  it('shows help on stderr and exits 1 without a command', async () => {
    const run = await cli();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Usage: mini-llama');
  });
});
