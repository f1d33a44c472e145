/** The lstm-gen version, written into every generated file. A test keeps it equal to package.json's. */
export const VERSION = "0.1.0";
