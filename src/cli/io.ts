/** Where command output goes: results on `out`, progress and messages on `err`. */
export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** The process's stdout and stderr. */
export const processIo: Io = { out: process.stdout, err: process.stderr };
