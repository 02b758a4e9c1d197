/**
 * RFC 4180 CSV. Cells that a spreadsheet would run as a formula (=, +, -, @) are prefixed
 * with a quote, since attendee-supplied text ends up in these files.
 */
export function toCsv(header: string[], rows: string[][]): string {
  const cell = (value: string) => {
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}
