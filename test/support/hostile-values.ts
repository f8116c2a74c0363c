/**
 * Values a hostile or careless client sends, by where they go: a JSON body field, or the text
 * of a query or path parameter. Each says what the server is given, so a test can tell
 * whether the documented schema allows it.
 */

/** A JSON value for a body field, as raw JSON text (so `1e400` and 20-digit integers arrive as written). */
export interface HostileJson {
  readonly label: string
  readonly json: string
}

const text = (label: string, value: string): HostileJson => ({ label, json: JSON.stringify(value) })
const raw = (label: string, json: string): HostileJson => ({ label, json })

/** Nested arrays `depth` deep, as JSON text: `[[[…]]]`. */
export const deepJson = (depth: number, inner = '0'): string =>
  `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`

/** The same text in other Unicode forms, and characters that look like nothing. */
const unicodeOddities: readonly HostileJson[] = [
  text('NFD combining accent', 'Cafe\u0301'),
  text('NFC precomposed accent', 'Caf\u00e9'),
  text('ligature', '\ufb01nance'),
  text('fullwidth letters and digits', 'ＡＢＣ１２３'),
  text('right-to-left override', 'abc\u202edef'),
  text('zero-width joiner alone', '\u200d'),
  text('byte order mark', '\ufeffname'),
  text('noncharacter U+FFFF', 'x\uffff'),
  text('astral noncharacter U+10FFFF', 'x\u{10ffff}'),
  text('line separator', 'a\u2028b'),
  text('dotted capital I', 'İstanbul'),
  text('Kelvin sign', '\u212a'),
]

/** For any body field: text PostgreSQL cannot store, wrong types, sizes and numbers beyond every integer type. */
export const hostileJsonValues: readonly HostileJson[] = [
  text('NUL inside', 'a\u0000b'),
  text('NUL alone', '\u0000'),
  text('lone high surrogate', 'x\ud800y'),
  text('lone low surrogate', '\udc00'),
  text('10,000 characters', 'a'.repeat(10_000)),
  text('empty', ''),
  raw('integer beyond 2^63', '99999999999999999999'),
  raw('-1', '-1'),
  raw('1e400 (Infinity once parsed)', '1e400'),
  raw('-1e400', '-1e400'),
  raw('a fraction', '0.5'),
  text('"NaN"', 'NaN'),
  text('"99999999999999999999"', '99999999999999999999'),
  text('"-1"', '-1'),
  text('"1e400"', '1e400'),
  raw('empty array', '[]'),
  raw('array of a string', '["x"]'),
  raw('empty object', '{}'),
  raw('object', '{"a":1}'),
  raw('null', 'null'),
  raw('true', 'true'),
  raw('10,000-deep array', deepJson(10_000)),
  text('"__proto__"', '__proto__'),
  text('"constructor"', 'constructor'),
  text('SQL', "'; drop table events; --"),
  ...unicodeOddities,
]

/** For fields with a date or date-time format: the edges of the calendar and of PostgreSQL's range. */
export const hostileDates: readonly HostileJson[] = [
  text('year 0000', '0000-01-01T00:00:00Z'),
  text('year 0001 at +14:00 (year 0 in UTC)', '0001-01-01T00:00:00+14:00'),
  text('year 9999 at -14:00 (year 10000 in UTC)', '9999-12-31T23:59:59-14:00'),
  text('February 30th', '2024-02-30'),
  text('month 13', '2024-13'),
  text('hour 24', '2024-05-21T24:00:00Z'),
  text('offset +99:99', '2024-05-21T10:00:00+99:99'),
  text('ten fraction digits', '2024-05-21T10:00:00.1234567891Z'),
  text('six-digit year', '+275760-09-13T00:00:00Z'),
  text('negative six-digit year', '-271821-04-20T00:00:00Z'),
]

/** For fields with a uuid format. */
export const hostileUuids: readonly HostileJson[] = [
  text('nil uuid', '00000000-0000-0000-0000-000000000000'),
  text('uuid in braces', '{0b6f4c1e-3d0a-4c55-9d57-1f0c1c7c2a10}'),
  text('uuid without hyphens', '0b6f4c1e3d0a4c559d571f0c1c7c2a10'),
]

/** For fields with a uri format. */
export const hostileUris: readonly HostileJson[] = [
  text('javascript: URL', 'javascript:alert(1)'),
  text('unclosed IPv6 host', 'http://[::1/x'),
  text('fullwidth host name', 'https://ｅｘａｍｐｌｅ.com/'),
  text('credentials in URL', 'https://user:pass@127.0.0.1/'),
]

/**
 * A parameter as it appears in the request line. `value` is what the server decodes (a string,
 * several for a repeated parameter), or undefined when the text is not decodable UTF-8.
 */
export interface HostileParameter {
  readonly label: string
  readonly encoded: string
  readonly value: string | undefined
}

export const parameterValue = (label: string, value: string): HostileParameter => ({
  label,
  encoded: encodeURIComponent(value),
  value,
})

export const hostileParameterValues: readonly HostileParameter[] = [
  parameterValue('NUL', '\u0000'),
  parameterValue('NUL inside', 'a\u0000b'),
  { label: 'lone surrogate as CESU-8 bytes', encoded: '%ED%A0%80', value: undefined },
  { label: 'truncated UTF-8', encoded: 'a%F0%9F', value: undefined },
  { label: 'a bare percent sign', encoded: '%', value: undefined },
  parameterValue('10,000 characters', 'a'.repeat(10_000)),
  parameterValue('empty', ''),
  parameterValue('integer beyond 2^63', '99999999999999999999'),
  parameterValue('-1', '-1'),
  parameterValue('1e400', '1e400'),
  parameterValue('NaN', 'NaN'),
  parameterValue('Infinity', 'Infinity'),
  parameterValue('a fraction', '1.5'),
  parameterValue('fullwidth digits', '１２３'),
  parameterValue('__proto__', '__proto__'),
  parameterValue('constructor', 'constructor'),
  parameterValue('SQL', "'; drop table events; --"),
  parameterValue('LIKE wildcards', '%_%'),
  parameterValue('dot-dot', '..'),
  parameterValue('encoded slash', 'a/b'),
  parameterValue('JSON object', '{"a":1}'),
  parameterValue('NFD combining accent', 'cafe\u0301'),
  parameterValue('fullwidth letters', 'ｑｗｅｎ'),
  parameterValue('zero-width joiner inside', 'qwen\u200dlong'),
  parameterValue('right-to-left override', 'abc\u202edef'),
  parameterValue('Kelvin sign', '\u212a'),
]

/** base64url of `text`, as the timeline encodes its cursors. */
const cursor = (text: string): string => Buffer.from(text, 'utf8').toString('base64url')

/**
 * Cursors the service never gave: base64 of garbage, of JSON, of wrong numbers and dates.
 * `sane` is true for a cursor that decodes to a real (effectiveFrom, position), which may be read.
 */
export const forgedCursors: ReadonlyArray<{ label: string; cursor: string; sane: boolean }> = [
  {
    label: 'base64 of random bytes',
    cursor: Buffer.from([0xff, 0x00, 0xfe, 0x81, 0x7f]).toString('base64url'),
    sane: false,
  },
  { label: 'base64 of JSON', cursor: cursor('{"effectiveFrom":1,"position":"x"}'), sane: false },
  {
    label: 'position beyond 2^63',
    cursor: cursor('2024-01-01T00:00:00.000Z|99999999999999999999'),
    sane: false,
  },
  { label: 'position beyond 2^53', cursor: cursor('2024-01-01T00:00:00.000Z|9007199254740993'), sane: false },
  { label: 'position 1e21', cursor: cursor('2024-01-01T00:00:00.000Z|1e21'), sane: false },
  { label: 'negative position', cursor: cursor('2024-01-01T00:00:00.000Z|-1'), sane: false },
  { label: 'position 1e400', cursor: cursor('2024-01-01T00:00:00.000Z|1e400'), sane: false },
  { label: 'position NaN', cursor: cursor('2024-01-01T00:00:00.000Z|NaN'), sane: false },
  { label: 'empty position', cursor: cursor('2024-01-01T00:00:00.000Z|'), sane: false },
  { label: 'hexadecimal position', cursor: cursor('2024-01-01T00:00:00.000Z|0x10'), sane: false },
  { label: 'a third part', cursor: cursor('2024-01-01T00:00:00.000Z|1|2'), sane: false },
  { label: 'year 275760', cursor: cursor('+275760-09-13T00:00:00.000Z|1'), sane: false },
  { label: 'year -271821', cursor: cursor('-271821-04-20T00:00:00.000Z|1'), sane: false },
  { label: 'year 0', cursor: cursor('0000-12-31T10:00:00.000Z|1'), sane: false },
  { label: 'a date without a time', cursor: cursor('2024|1'), sane: false },
  { label: 'NUL in the date', cursor: cursor('2024-01-01T00:00:00.000Z\u0000|1'), sane: false },
  { label: 'a real-looking cursor', cursor: cursor('2024-01-01T00:00:00.000Z|1'), sane: true },
]
