/**
 * Reader for the Spiking Heidelberg Digits (Cramer et al. 2022, IEEE TNNLS 33:2744; files at
 * https://zenkelab.org/datasets/) and other files in its HDF5 layout (SSC uses the same):
 *
 *   /spikes/times   vlen float (seconds), one array per sample (float16 or float32 or float64)
 *   /spikes/units   vlen unsigned int (uint16), one array per sample, same lengths as times
 *   /labels         integer [samples]
 *
 * Times are converted to ms, spikes at or after maxTime are dropped, the rest binned by dt:
 * step = floor(t / dt), steps = ceil(maxTime / dt). units = max(700, largest unit + 1), classes =
 * largest label + 1. h5wasm 0.10 cannot decode float16, so vlen float16 arrays (as in the
 * published files) are read from the raw buffer here.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Dataset as H5Dataset } from 'h5wasm';
import { isHdf5 } from '../../backends/files.js';
import { binStep, DatasetError, makeSample, type SpikeDataset, type SpikeSample } from './dataset.js';

export interface ShdOptions {
  /** time step in ms */
  dt: number;
  /** ms, default 1400 (SpyTorch's 1.4 s); spikes at or after it are dropped */
  maxTime?: number;
  /** read only the first `limit` samples */
  limit?: number;
}

/** SHD has 700 cochlea channels. */
const SHD_UNITS = 700;
/** Samples read per hyperslab: bounds the wasm heap used at once. */
const CHUNK = 256;
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_VLEN = 9;

type H5 = typeof import('h5wasm/node');

const HINT_LAYOUT =
  'an SHD file holds spikes/times (vlen float, seconds), spikes/units (vlen uint16) and labels (integer), one entry per sample; download shd_train.h5 / shd_test.h5 from https://zenkelab.org/datasets/ and gunzip them';

/** IEEE 754 binary16 to a number. */
function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Rows [start, end) of a 1-D vlen float16 dataset, read as h5wasm's Dataset.slice does
 * (hyperslab into a buffer of hvl_t {length, pointer}, 4 bytes each on wasm32), then decoded.
 */
function sliceVlenHalf(h5: H5, d: H5Dataset, start: number, end: number): Float64Array[] {
  const M = h5.Module;
  const count = [BigInt(end - start)];
  const nbytes = 8 * (end - start);
  const ptr = M._malloc(nbytes);
  if (ptr === 0) throw new Error(`could not allocate ${nbytes} bytes`);
  try {
    M.get_dataset_data(d.file_id, d.path, count, [BigInt(start)], [1n], BigInt(ptr));
    try {
      const pairs = new Uint32Array(M.HEAPU8.slice(ptr, ptr + nbytes).buffer);
      const out: Float64Array[] = [];
      for (let p = 0; p < pairs.length; p += 2) {
        const len = pairs[p]!;
        const raw = new Uint16Array(M.HEAPU8.slice(pairs[p + 1]!, pairs[p + 1]! + 2 * len).buffer);
        out.push(Float64Array.from(raw, half));
      }
      return out;
    } finally {
      M.reclaim_vlen_memory_count(d.file_id, d.path, '', BigInt(ptr), count);
    }
  } finally {
    M._free(ptr);
  }
}

/** Read the Spiking Heidelberg Digits (or a file in its layout), binned to steps of dt ms. */
export async function readShd(file: string, o: ShdOptions): Promise<SpikeDataset> {
  const maxTime = o.maxTime ?? 1400;
  if (!(o.dt > 0) || !Number.isFinite(o.dt)) throw new RangeError(`readShd: dt must be a number of ms > 0, got ${o.dt}`);
  if (!(maxTime > 0) || !Number.isFinite(maxTime)) throw new RangeError(`readShd: maxTime must be a number of ms > 0, got ${maxTime}`);
  if (o.limit !== undefined && (!Number.isInteger(o.limit) || o.limit < 0)) throw new RangeError(`readShd: limit must be a whole number >= 0, got ${o.limit}`);
  if (!existsSync(file) || !statSync(file).isFile()) throw new DatasetError(`${file}: no such file`, HINT_LAYOUT);
  if (!isHdf5(file)) throw new DatasetError(`${file}: not an HDF5 file`, HINT_LAYOUT);

  const h5: H5 = await import('h5wasm/node');
  await h5.ready;
  let f: InstanceType<H5['File']>;
  try {
    f = new h5.File(file, 'r');
  } catch {
    throw new DatasetError(`${file}: cannot be opened as HDF5`, HINT_LAYOUT);
  }
  try {
    const get = (path: string): H5Dataset => {
      let d: unknown;
      try {
        d = f.get(path);
      } catch {
        d = null;
      }
      if (!(d instanceof h5.Dataset)) throw new DatasetError(`${file}: no dataset '${path}'`, HINT_LAYOUT);
      return d;
    };
    const times = get('spikes/times');
    const units = get('spikes/units');
    const labels = get('labels');
    const tm = times.metadata;
    const um = units.metadata;
    const lm = labels.metadata;
    const oneD = (m: typeof tm): boolean => m.shape?.length === 1;
    if (tm.type !== H5T_VLEN || tm.vlen_type?.type !== H5T_FLOAT || !oneD(tm)) {
      throw new DatasetError(`${file}: dataset 'spikes/times' is not a 1-D list of float arrays`, HINT_LAYOUT);
    }
    if (um.type !== H5T_VLEN || um.vlen_type?.type !== H5T_INTEGER || !oneD(um)) {
      throw new DatasetError(`${file}: dataset 'spikes/units' is not a 1-D list of integer arrays`, HINT_LAYOUT);
    }
    if (lm.type !== H5T_INTEGER || !oneD(lm)) throw new DatasetError(`${file}: dataset 'labels' is not a 1-D integer array`, HINT_LAYOUT);
    const n = lm.shape![0]!;
    if (tm.shape![0] !== n || um.shape![0] !== n) {
      throw new DatasetError(`${file}: 'spikes/times' (${tm.shape![0]}), 'spikes/units' (${um.shape![0]}) and 'labels' (${n}) differ in length`, HINT_LAYOUT);
    }
    const total = Math.min(n, o.limit ?? n);
    const isHalf = tm.vlen_type.size === 2;
    const steps = Math.ceil(maxTime / o.dt - 1e-9);
    const labelValues = (total > 0 ? labels.slice([[0, total]]) : []) as ArrayLike<number | bigint>;

    const raw: { label: number; steps: Int32Array; units: Int32Array }[] = [];
    let maxUnit = -1;
    let maxLabel = -1;
    for (let start = 0; start < total; start += CHUNK) {
      const end = Math.min(total, start + CHUNK);
      const ts = (isHalf ? sliceVlenHalf(h5, times, start, end) : times.slice([[start, end]])) as ArrayLike<number>[];
      const us = units.slice([[start, end]]) as ArrayLike<number | bigint>[];
      for (let k = 0; k < end - start; k++) {
        const i = start + k;
        const t = ts[k]!;
        const u = us[k]!;
        if (t.length !== u.length) {
          throw new DatasetError(`${file}: sample ${i} has ${t.length} spike times but ${u.length} units`, HINT_LAYOUT);
        }
        const label = Number(labelValues[i]!);
        if (!Number.isInteger(label) || label < 0) throw new DatasetError(`${file}: sample ${i} has label ${label}, not a whole number >= 0`, HINT_LAYOUT);
        maxLabel = Math.max(maxLabel, label);
        const st = new Int32Array(t.length);
        const un = new Int32Array(t.length);
        let m = 0;
        for (let e = 0; e < t.length; e++) {
          const ms = t[e]! * 1000;
          const unit = Number(u[e]!);
          if (!(ms >= 0)) throw new DatasetError(`${file}: sample ${i} has a spike at ${t[e]} s`, 'spike times must be numbers >= 0, in seconds from the start of the sample');
          if (ms >= maxTime) continue;
          if (unit < 0) throw new DatasetError(`${file}: sample ${i} has a spike of unit ${unit}`, HINT_LAYOUT);
          st[m] = Math.min(steps - 1, binStep(ms, o.dt));
          un[m] = unit;
          m++;
          if (unit > maxUnit) maxUnit = unit;
        }
        raw.push({ label, steps: st.subarray(0, m), units: un.subarray(0, m) });
      }
    }
    const nUnits = Math.max(SHD_UNITS, maxUnit + 1);
    const samples: SpikeSample[] = raw.map((r) => makeSample(r.label, r.steps, r.units, nUnits));
    return { name: basename(file), units: nUnits, classes: maxLabel + 1, steps, samples };
  } finally {
    f.close();
  }
}
