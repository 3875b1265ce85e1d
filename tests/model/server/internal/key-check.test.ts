import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../../model/server/internal/http.js';
import { KeyCheck } from '../../../../model/server/internal/key-check.js';

function status(check: KeyCheck, header: string | undefined): number {
  try {
    check.check(header);
    return 200;
  } catch (error) {
    return (error as HttpError).status;
  }
}

describe('KeyCheck', () => {
  it('accepts any of the keys, case-insensitive Bearer and spaces around the key', () => {
    const check = new KeyCheck(['k1', 'k2']);
    expect(status(check, 'Bearer k1')).toBe(200);
    expect(status(check, 'bearer   k2 ')).toBe(200);
  });

  it('refuses a missing, malformed or wrong key with 401 and WWW-Authenticate, every time', () => {
    const check = new KeyCheck(['k1']);
    for (let i = 0; i < 3; i++) {
      for (const header of [undefined, '', 'k1', 'Basic k1', 'Bearer k2', 'Bearer k1x']) {
        expect(status(check, header)).toBe(401);
      }
    }
    try {
      check.check('Bearer nope');
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
    }
  });

  it('keeps accepting a remembered header, and still refuses others, past its memory size', () => {
    const check = new KeyCheck(['k1']);
    for (let i = 0; i < 200; i++) {
      expect(status(check, `Bearer k1${' '.repeat(i % 100)}`)).toBe(200);
      expect(status(check, `Bearer k${i}`)).toBe(i === 1 ? 200 : 401);
    }
  });
});
