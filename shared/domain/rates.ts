/** Micros (possibly fractional after a division) to currency units, rounded to the micro. */
export function money(micros: number): number {
  return Math.round(micros) / 1e6;
}

/** `part / whole` rounded to 12 decimals; `null` when the whole is 0 (README: Journey analytics). */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1e12) / 1e12 : null;
}
