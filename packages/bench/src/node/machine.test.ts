import { describe, expect, it } from 'vitest';
import { describeMachine, formatMachine } from './machine.js';

describe('describeMachine', () => {
  it('keeps the kernel-relevant extensions of the flags line, in a fixed order', () => {
    const cpuinfo = 'processor\t: 0\nflags\t\t: fpu sse4_2 avx2 avx fma avx512f avx512_bf16 xsave\n';
    const machine = describeMachine(cpuinfo);
    expect(machine.features).toEqual(['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_bf16']);
    expect(machine.cores).toBeGreaterThan(0);
    expect(formatMachine(machine)).toMatch(
      /^.+, \d+ cores \(\w+\), \d+\.\d GiB; CPU features: sse4_2 avx avx2 fma avx512f avx512_bf16$/,
    );
  });

  it('reads an Arm Features line, and says when nothing is known', () => {
    expect(describeMachine('Features\t: fp asimd asimdhp sve i8mm\n').features).toEqual([
      'asimd',
      'asimdhp',
      'sve',
      'i8mm',
    ]);
    expect(formatMachine(describeMachine(null))).toMatch(/; CPU features: not known$/);
  });
});
