import jsonpatch, { type Operation } from 'fast-json-patch';
import { RecordError } from '../records/index.js';
import type { Json } from './fhir-kit.js';

/** At most this many operations in one patch: a client's edit, not a rewrite of the record. */
const MAX_OPERATIONS = 100;

/**
 * A resource with a JSON Patch (RFC 6902) applied, by fast-json-patch, on a copy: the patched
 * resource is then written as an update of the version it was made from, checked by its module like
 * any other write. A patch that does not apply is a 400, a failed `test` a 422 (RFC 5789); neither
 * says more than the operation's index and what failed (an operation's values are patient data).
 * A patch cannot change what the resource is (resourceType, id).
 */
export function patched(resource: Json, body: unknown): Json {
  if (!Array.isArray(body) || body.length === 0 || body.length > MAX_OPERATIONS) {
    throw new RecordError('invalid', [`a JSON Patch is a list of 1 to ${MAX_OPERATIONS} operations`]);
  }
  const ops = body as Operation[];
  const problem = jsonpatch.validate(ops, resource);
  if (problem) throw failed(problem);
  let out: Json;
  try {
    out = jsonpatch.applyPatch(resource, ops, false, false).newDocument as Json;
  } catch (e) {
    if (e instanceof jsonpatch.JsonPatchError) throw failed(e);
    throw e;
  }
  if (out === null || typeof out !== 'object' || out.resourceType !== resource.resourceType || out.id !== resource.id) {
    throw new RecordError('invalid', ['a JSON Patch cannot change the resource type or id']);
  }
  return out;
}

function failed(e: { name: string; index?: number }): RecordError {
  const where = e.index === undefined ? '' : ` (operation ${e.index})`;
  if (e.name === 'TEST_OPERATION_FAILED') {
    return new RecordError('unprocessable', [`JSON Patch: a test failed${where}`]);
  }
  return new RecordError('invalid', [`JSON Patch: ${e.name.toLowerCase().replace(/_/g, ' ')}${where}`]);
}
