/** Datasets for training: the randman generator, the SHD reader and plain-text spike files. */
export { binStep, DatasetError, denseBatch, makeSample, splitDataset, type SpikeDataset, type SpikeSample, type Split } from './dataset.js';
export { evalManifold, randman, randmanCutoff, randmanLatent, randmanManifold, type Manifold, type RandmanOptions } from './randman.js';
export { readShd, type ShdOptions } from './shd.js';
export { formatSpikeFile, parseSpikeFile, readSpikeFile, writeSpikeFile, type SpikeFileOptions } from './spike-file.js';
