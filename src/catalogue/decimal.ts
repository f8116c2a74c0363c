/**
 * Exact arithmetic on the decimal strings of the catalogue ("0.0005", "300000000"): amounts are
 * summed and compared as integers of 10^-18, never as binary floats.
 */
const SCALE = 18
const ONE = 10n ** BigInt(SCALE)

/** "0.0005" → 500000000000000n (units of 10^-18). */
export function toUnits(decimal: string): bigint {
  const negative = decimal.startsWith('-')
  const [whole = '0', fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.')
  const units = BigInt(whole) * ONE + BigInt(fraction.slice(0, SCALE).padEnd(SCALE, '0'))
  return negative ? -units : units
}

/** 500000000000000n → "0.0005": no exponent, no trailing zeros. */
export function fromUnits(units: bigint): string {
  const negative = units < 0n
  const magnitude = negative ? -units : units
  const whole = magnitude / ONE
  const fraction = (magnitude % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}

/**
 * The change from `before` to `after` in percent, rounded half away from zero to `places`
 * decimals: "0.02" → "0.0005" is "-97.5". Null when `before` is zero: a change from free has no
 * percentage.
 */
export function percentChange(before: string, after: string, places = 2): string | null {
  const from = toUnits(before)
  if (from === 0n) return null
  const scaled = (toUnits(after) - from) * 100n * 10n ** BigInt(places)
  const quotient = scaled / from
  const twiceRemainder = 2n * (scaled % from)
  const magnitude = from < 0n ? -from : from
  const remainderMagnitude = twiceRemainder < 0n ? -twiceRemainder : twiceRemainder
  const awayFromZero = remainderMagnitude >= magnitude
  const negative = scaled < 0n !== from < 0n
  const rounded = awayFromZero ? quotient + (negative ? -1n : 1n) : quotient
  return fromUnits(rounded * 10n ** BigInt(SCALE - places))
}
