import { afterEach, describe, expect, it } from 'vitest';
import { reportLogicalCores } from './wasm-threads-browser.js';

const realNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

afterEach(() => {
  if (realNavigator) Object.defineProperty(globalThis, 'navigator', realNavigator);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

/** A navigator whose hardwareConcurrency is a getter on its prototype, as in browsers. */
function fakeNavigator(cores: number): object {
  class FakeNavigator {
    get hardwareConcurrency(): number {
      return cores;
    }
  }
  const navigator = new FakeNavigator();
  Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true });
  return navigator;
}

describe('reportLogicalCores', () => {
  it('shows the count asked for until restored, then the real one again', () => {
    const navigator = fakeNavigator(2) as { hardwareConcurrency: number };
    const restore = reportLogicalCores(8);
    expect(navigator.hardwareConcurrency).toBe(8);
    restore();
    expect(navigator.hardwareConcurrency).toBe(2);
    expect(Object.hasOwn(navigator, 'hardwareConcurrency')).toBe(false);
  });

  it('leaves a navigator that already has its own value alone', () => {
    const navigator = fakeNavigator(2) as { hardwareConcurrency: number };
    Object.defineProperty(navigator, 'hardwareConcurrency', { value: 3, configurable: true });
    const restore = reportLogicalCores(8);
    expect(navigator.hardwareConcurrency).toBe(3);
    restore();
    expect(navigator.hardwareConcurrency).toBe(3);
  });

  it('does nothing without a navigator', () => {
    Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true });
    expect(() => reportLogicalCores(4)()).not.toThrow();
  });
});
