/**
 * longrunning: a typed client for google.longrunning.Operations over gRPC.
 *
 * User-facing exports come first; building blocks for custom transports and GAPIC-style
 * clients follow.
 */
export { builtinRoot, serviceDefinition, TO_OBJECT_OPTIONS } from './protos.js';
