/** A NIR graph that snn import cannot turn into a model; the CLI reports it as SNN5201. */
export class NirImportError extends Error {}
