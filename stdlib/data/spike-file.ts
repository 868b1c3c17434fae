/**
 * Plain-text spike files: CSV, one spike per line.
 *
 *   # comment lines start with '#'; blank lines are ignored
 *   sample,unit,time,label
 *   0,3,1.5,1
 *   0,7,12,1
 *   1,,,0
 *
 * - The first line that is not a comment is the header. It names the columns, in any order:
 *   `sample`, `unit` and `time` are required, `label` is optional.
 * - sample: whole number >= 0. The dataset's samples are the distinct sample numbers in
 *   ascending order (gaps are not filled in); a sample's lines need not be adjacent.
 * - unit: whole number >= 0, the input channel. time: ms from the start of the sample, >= 0;
 *   binned to step floor(time / dt).
 * - A line with `unit` and `time` both empty declares a sample (and its label) without a spike.
 * - label: whole number >= 0, the same on every line of a sample. Without a label column every
 *   sample has label 0.
 *
 * steps = the last spike's step + 1 (or o.steps), units = the largest unit + 1 (or o.units),
 * classes = the largest label + 1. Every problem is a DatasetError naming the file and line.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { binStep, DatasetError, makeSample, type SpikeDataset } from './dataset.js';

export interface SpikeFileOptions {
  /** time step in ms */
  dt: number;
  /** time steps per sample; default: the last spike's step + 1 */
  steps?: number;
  /** input channels; default: the largest unit + 1 */
  units?: number;
}

const COLUMNS = ['sample', 'unit', 'time', 'label'] as const;
type Column = (typeof COLUMNS)[number];
const HINT = 'a spike file is CSV with the header `sample,unit,time` (time in ms) and an optional `label` column; lines starting with # are comments';

/** Read a spike file (format in the header of this module). */
export function readSpikeFile(file: string, o: SpikeFileOptions): SpikeDataset {
  if (!existsSync(file)) throw new DatasetError(`${file}: no such file`, HINT);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DatasetError(`${file}: cannot be read (${(e as Error).message})`, HINT);
  }
  return parseSpikeFile(text, file, o);
}

/** Parse the text of a spike file; `file` names it in errors and becomes the dataset's name. */
export function parseSpikeFile(text: string, file: string, o: SpikeFileOptions): SpikeDataset {
  if (!(o.dt > 0) || !Number.isFinite(o.dt)) throw new RangeError(`readSpikeFile: dt must be a number of ms > 0, got ${o.dt}`);
  for (const k of ['steps', 'units'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`readSpikeFile: ${k} must be a whole number >= 1, got ${v}`);
  }
  const fail = (line: number, msg: string): never => {
    throw new DatasetError(`${file}:${line}: ${msg}`, HINT);
  };
  const wholeNumber = (line: number, col: Column, s: string): number => {
    const v = Number(s);
    if (s === '' || !Number.isSafeInteger(v) || v < 0) fail(line, `${col} '${s}' is not a whole number >= 0`);
    return v;
  };

  let index: Record<Column, number> | undefined;
  let width = 0;
  const bySample = new Map<number, { label: number | undefined; labelLine: number; steps: number[]; units: number[] }>();
  let maxStep = -1;
  let maxUnit = -1;
  const lines = text.split(/\r?\n/);
  for (let ln = 1; ln <= lines.length; ln++) {
    const line = lines[ln - 1]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (!index) {
      const idx: Partial<Record<Column, number>> = {};
      cells.forEach((name, i) => {
        if (!(COLUMNS as readonly string[]).includes(name)) fail(ln, `unknown column '${name}' in the header (expected sample, unit, time and optionally label)`);
        if (idx[name as Column] !== undefined) fail(ln, `column '${name}' appears twice in the header`);
        idx[name as Column] = i;
      });
      for (const c of ['sample', 'unit', 'time'] as const) if (idx[c] === undefined) fail(ln, `the header has no '${c}' column`);
      index = { sample: idx.sample!, unit: idx.unit!, time: idx.time!, label: idx.label ?? -1 };
      width = cells.length;
      continue;
    }
    if (cells.length !== width) fail(ln, `${cells.length} fields, the header has ${width}`);
    const sample = wholeNumber(ln, 'sample', cells[index.sample]!);
    const label = index.label >= 0 ? wholeNumber(ln, 'label', cells[index.label]!) : undefined;
    let rec = bySample.get(sample);
    if (!rec) {
      rec = { label, labelLine: ln, steps: [], units: [] };
      bySample.set(sample, rec);
    } else if (rec.label !== label) {
      fail(ln, `sample ${sample} has label ${label}, but label ${rec.label} on line ${rec.labelLine}`);
    }
    const us = cells[index.unit]!;
    const ts = cells[index.time]!;
    if (us === '' && ts === '') continue; // a sample without spikes
    const unit = wholeNumber(ln, 'unit', us);
    const time = Number(ts);
    if (ts === '' || !Number.isFinite(time) || time < 0) fail(ln, `time '${ts}' is not a number of ms >= 0`);
    const step = binStep(time, o.dt);
    if (o.steps !== undefined && step >= o.steps) fail(ln, `time ${ts} ms falls in step ${step}, after the last of ${o.steps} steps of ${o.dt} ms`);
    if (o.units !== undefined && unit >= o.units) fail(ln, `unit ${unit} is outside the ${o.units} units`);
    rec.steps.push(step);
    rec.units.push(unit);
    maxStep = Math.max(maxStep, step);
    maxUnit = Math.max(maxUnit, unit);
  }
  if (!index) throw new DatasetError(`${file}: no header line (sample,unit,time)`, HINT);

  const units = o.units ?? Math.max(1, maxUnit + 1);
  const steps = o.steps ?? Math.max(1, maxStep + 1);
  const ids = [...bySample.keys()].sort((a, b) => a - b);
  const samples = ids.map((id) => {
    const r = bySample.get(id)!;
    return makeSample(r.label ?? 0, r.steps, r.units, units);
  });
  const classes = samples.reduce((m, s) => Math.max(m, s.label + 1), samples.length > 0 ? 1 : 0);
  return { name: basename(file), units, classes, steps, samples };
}

/**
 * A dataset as spike-file text: one line per spike at time step * dt (the start of its bin),
 * one line with empty unit and time for a sample without spikes; samples numbered 0..n-1.
 */
export function formatSpikeFile(ds: SpikeDataset, dt: number): string {
  const out = [`# ${ds.name}: ${ds.samples.length} samples, ${ds.units} units, ${ds.classes} classes, ${ds.steps} steps of ${dt} ms`, 'sample,unit,time,label'];
  ds.samples.forEach((s, i) => {
    if (s.steps.length === 0) out.push(`${i},,,${s.label}`);
    for (let k = 0; k < s.steps.length; k++) out.push(`${i},${s.units[k]},${s.steps[k]! * dt},${s.label}`);
  });
  return out.join('\n') + '\n';
}

/** Write a dataset as a spike file (formatSpikeFile). */
export function writeSpikeFile(file: string, ds: SpikeDataset, dt: number): void {
  writeFileSync(file, formatSpikeFile(ds, dt));
}
