import type { GraphQLError } from 'graphql';
import { ErrorCode, isUnavailableError } from '../../core/errors';

/**
 * The `extensions.code` a client receives for an error, before formatting: database outages are
 * `SERVICE_UNAVAILABLE`, errors without a code `INTERNAL_SERVER_ERROR` (as `makeFormatError`
 * decides).
 */
export function errorCodeOf(error: GraphQLError): string {
  if (isUnavailableError(error.originalError)) return ErrorCode.SERVICE_UNAVAILABLE;
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}
