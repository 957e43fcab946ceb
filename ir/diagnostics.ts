// Diagnostics (spec §11): every error has a spec code, a span into the source and,
// where it helps, a help note. Passes report into a Diagnostics sink and keep going,
// so one run reports as many independent errors as it can.

import type { Span } from './lang.js';

export type Code =
  | 'E0001' | 'E0002' | 'E0003' | 'E0004' | 'E0005'
  | 'E0010' | 'E0011' | 'E0012' | 'E0013'
  | 'E0020' | 'E0021' | 'E0023' | 'E0024' | 'E0025' | 'E0026' | 'E0027'
  | 'E0030' | 'E0040' | 'E0041' | 'E0042' | 'E0043' | 'E0044' | 'E0050';

export interface Diagnostic {
  code: Code;
  message: string;
  span: Span;
  /** the label under the carets */
  label?: string;
  /** `= help: ...` / `= note: ...` lines */
  notes: string[];
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];
  error(code: Code, span: Span, message: string, opts: { label?: string; help?: string; notes?: string[] } = {}): void {
    const notes = [...(opts.help ? [`help: ${opts.help}`] : []), ...(opts.notes ?? [])];
    this.add({ code, message, span, label: opts.label, notes });
  }
  /** Adds a diagnostic made elsewhere (another sink's): the same error at the same place is reported once. */
  add(d: Diagnostic): void {
    if (this.list.some((e) => e.code === d.code && e.span.start === d.span.start && e.span.end === d.span.end)) return;
    this.list.push(d);
  }
  get hasErrors(): boolean { return this.list.length > 0; }
}

/** Thrown by the driver when a pass reported errors: compilation stops after that pass. */
export class CompileErrors extends Error {
  constructor(readonly diagnostics: Diagnostic[]) { super(`${diagnostics.length} error(s)`); }
}

export interface SourceFile { path: string; text: string }

/** 1-based line and column of a byte offset. */
export function lineCol(src: SourceFile, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const text = src.text;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  return { line, column: end - lineStart + 1 };
}

function sorted(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.span.start - b.span.start || a.code.localeCompare(b.code));
}

/** rustc-style text: header, location, the source line with carets, notes. */
export function renderHuman(src: SourceFile, ds: Diagnostic[]): string {
  const out: string[] = [];
  for (const d of sorted(ds)) {
    const a = lineCol(src, d.span.start);
    const lines = src.text.split('\n');
    const lineText = (lines[a.line - 1] ?? '').replace(/\r$/, '');
    const lineEnd = src.text.indexOf('\n', d.span.start);
    const endOnLine = Math.min(d.span.end, lineEnd === -1 ? src.text.length : lineEnd);
    const width = Math.max(1, endOnLine - d.span.start);
    const gutter = String(a.line).length;
    const pad = ' '.repeat(gutter);
    out.push(`error[${d.code}]: ${d.message}`);
    out.push(`${pad}--> ${src.path}:${a.line}:${a.column}`);
    out.push(`${pad} |`);
    out.push(`${a.line} | ${lineText}`);
    out.push(`${pad} | ${' '.repeat(a.column - 1)}${'^'.repeat(width)}${d.label ? ' ' + d.label : ''}`);
    for (const n of d.notes) out.push(`${pad} = ${n}`);
    out.push('');
  }
  const n = ds.length;
  out.push(`error: could not compile \`${src.path}\` due to ${n} previous error${n === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}

/** One JSON object per line (spec §11). */
export function renderJson(src: SourceFile, ds: Diagnostic[]): string {
  return sorted(ds).map((d) => {
    const a = lineCol(src, d.span.start);
    const b = lineCol(src, Math.max(d.span.start, d.span.end));
    return JSON.stringify({
      severity: 'error', code: d.code, message: d.message, file: src.path,
      line: a.line, column: a.column, endLine: b.line, endColumn: b.column, notes: d.notes,
    });
  }).join('\n') + '\n';
}
