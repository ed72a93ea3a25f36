/** The one escaping function of `lro`: what a terminal would act on is shown, never written raw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeControls } from '../../src/cli/escape.ts';
import { toJson } from '../../src/cli/format.ts';

/** Every C0, DEL, C1, bidi control and line/paragraph separator, by code point (written independently of escape.ts). */
const UNSAFE = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0xa0 - 0x7f }, (_, i) => 0x7f + i),
  0x61c,
  0x200e,
  0x200f,
  0x2028,
  0x2029,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
];

const raw = (text: string): number[] =>
  [...text].map((c) => c.codePointAt(0) ?? 0).filter((c) => UNSAFE.includes(c));

describe('escapeControls', () => {
  it('shows ESC, an OSC title, a line feed, U+009B and U+202E as visible escapes', () => {
    assert.equal(escapeControls('operations/\u001b[2Kx'), 'operations/\\x1b[2Kx');
    assert.equal(escapeControls('a\u001b]0;pwned\u0007b'), 'a\\x1b]0;pwned\\x07b');
    assert.equal(
      escapeControls('operations/x\noperations/forged  DONE  100%'),
      'operations/x\\noperations/forged  DONE  100%',
    );
    assert.equal(escapeControls('\u009b2J'), '\\x9b2J');
    assert.equal(escapeControls('abc\u202egnp.exe'), 'abc\\u202egnp.exe');
    assert.equal(escapeControls('tab\there\r\u007f'), 'tab\\there\\r\\x7f');
  });

  it('leaves printable text, backslashes and other Unicode (accents, CJK, emoji) as they are', () => {
    for (const text of [
      'operations/abc-123',
      'a\\nb',
      'café 東京 🚀',
      '',
      ' ~!"#$%&\'()*+,-./:;<=>?@[]^_`{|}',
    ]) {
      assert.equal(escapeControls(text), text);
    }
  });

  it('escapes every unsafe code point in text, and all but the line feed in lines mode', () => {
    const all = String.fromCodePoint(...UNSAFE);
    assert.deepEqual(raw(escapeControls(all)), []);
    assert.deepEqual(raw(escapeControls(all, 'lines')), [0x0a]);
    assert.equal(escapeControls('frame 1\nframe\u001b 2', 'lines'), 'frame 1\nframe\\x1b 2');
  });

  it('escapes in JSON what JSON.stringify leaves raw, and the document parses to the same value', () => {
    const value = { name: `x\u001b[2K\u009b\u202e\u2066\u2028\u007fy`, n: 1, nested: ['\u0085'] };
    for (const indent of [undefined, 2]) {
      const json = toJson(value, indent);
      assert.deepEqual(JSON.parse(json), value);
      const layout = indent === undefined ? [] : raw(json).filter((c) => c === 0x0a);
      assert.deepEqual(raw(json), layout, 'only indentation line feeds are raw');
    }
    assert.equal(escapeControls(JSON.stringify('\u009b\u202e'), 'json'), String.raw`"\u009b\u202e"`);
  });
});
