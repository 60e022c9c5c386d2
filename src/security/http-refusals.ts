import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { processRegularResult, type Plugin } from 'graphql-yoga';
import type { SecurityConfig } from '../config.ts';
import type { GatewayContext } from '../context.ts';
import { gatewayError, withExtensions, type HttpRefusalCode } from '../graphql/errors.ts';
import { isExecutionResult } from '../graphql/results.ts';

/** What yoga can answer in (its result processors); anything else in `Accept` gets 406. */
const ANSWER_MEDIA_TYPES = ['application/graphql-response+json', 'application/json', 'text/event-stream', 'multipart/mixed'];

/**
 * Gives every request refused at the HTTP level a JSON body whose error has an
 * `extensions.code`, so a client can branch on it as on any other error:
 * - CSRF (when CSRF_PREVENTION is on): yoga's plugin decides, we add `CSRF_HEADER_REQUIRED`;
 * - a POST body no parser reads: `UNSUPPORTED_MEDIA_TYPE` (yoga: 415 with no body);
 * - an `Accept` nothing here can answer: `NOT_ACCEPTABLE`, refused before the operation
 *   runs (yoga executes it, then answers 406 with no body);
 * - batching off or over MAX_BATCH: `BATCHING_NOT_SUPPORTED`, `BATCH_LIMIT_EXCEEDED`;
 * - yoga's 405s (a method other than GET/POST, a mutation over GET): `METHOD_NOT_ALLOWED`
 *   instead of its generic `BAD_REQUEST`;
 * - variables graphql-js could not coerce (it gives them no code): `BAD_USER_INPUT`.
 * Bodies too large keep yoga's `REQUEST_ENTITY_TOO_LARGE`; malformed parameters keep
 * `BAD_REQUEST`; parse and validation errors keep `GRAPHQL_PARSE_FAILED` and
 * `GRAPHQL_VALIDATION_FAILED`.
 */
export function useHttpRefusals(security: Pick<SecurityConfig, 'csrfPrevention' | 'maxBatch'>): Plugin<GatewayContext> {
  const csrf = security.csrfPrevention ? useCSRFPrevention() : undefined;
  return {
    onRequestParse(payload) {
      const { request, requestParser } = payload;
      if (csrf) {
        try {
          csrf.onRequestParse?.(payload as never);
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          throw refusal(
            'CSRF_HEADER_REQUIRED',
            403,
            'This request could come from any web page (a GET, or a form content type): send the `x-graphql-yoga-csrf: 1` header, or POST with `Content-Type: application/json`.',
          );
        }
      }
      // Yoga's parsers, registered before any plugin of ours, have set one if they read this body.
      if (request.method === 'POST' && !requestParser) {
        const type = request.headers.get('content-type');
        throw refusal(
          'UNSUPPORTED_MEDIA_TYPE',
          415,
          `Send the operation with \`Content-Type: application/json\`${type ? `, not ${JSON.stringify(type.slice(0, 100))}` : ''}.`,
        );
      }
      if (!acceptsAnswer(request.headers.get('accept'))) {
        throw refusal('NOT_ACCEPTABLE', 406, `Answers are JSON: accept \`application/graphql-response+json\` or \`application/json\`.`);
      }
      return {
        onRequestParseDone({ requestParserResult }) {
          if (!Array.isArray(requestParserResult)) return;
          if (security.maxBatch === 0) {
            throw refusal('BATCHING_NOT_SUPPORTED', 400, 'Batching is not supported.');
          }
          if (requestParserResult.length > security.maxBatch) {
            throw refusal('BATCH_LIMIT_EXCEEDED', 413, `Batching is limited to ${security.maxBatch} operations per request.`);
          }
        },
      };
    },
    onResultProcess({ result, setResult, resultProcessor, setResultProcessor }) {
      if (!Array.isArray(result) && isExecutionResult(result) && result.errors?.some((error) => codeFor(error) !== undefined)) {
        setResult({ ...result, errors: result.errors.map(withCode) });
      }
      // Only the NOT_ACCEPTABLE refusal gets here without a processor: answer it in JSON anyway.
      if (!resultProcessor) {
        setResultProcessor((final, fetchAPI) => {
          const json = processRegularResult(final as ExecutionResult, fetchAPI, 'application/json');
          return new fetchAPI.Response(json.body, { status: 406, headers: json.headers });
        }, 'application/json');
      }
    },
  };
}

/** A refusal as a client error: our message, code, the HTTP status yoga answers with. */
function refusal(code: HttpRefusalCode, status: number, message: string): GraphQLError {
  return gatewayError(code, message, { http: { status } });
}

/**
 * Whether one of the answer media types is acceptable, as yoga's processors match
 * them (wildcards on the request's side; a charset other than utf-8 matches nothing).
 */
function acceptsAnswer(accept: string | null): boolean {
  if (accept === null || accept.trim() === '') return true;
  return accept
    .replace(/\s/g, '')
    .toLowerCase()
    .split(',')
    .some((range) => {
      const [mediaType = '', ...params] = range.split(';');
      const charset = params.find((param) => param.startsWith('charset='));
      if (charset !== undefined && charset !== 'charset=utf-8') return false;
      const [type, subtype] = mediaType.split('/');
      return ANSWER_MEDIA_TYPES.some((answer) => {
        const [answerType, answerSubtype] = answer.split('/');
        return (type === '*' || type === answerType) && (subtype === '*' || subtype === answerSubtype);
      });
    });
}

/** The code an error should have instead of the one it has (or lacks); undefined to keep it. */
function codeFor(error: GraphQLError): 'METHOD_NOT_ALLOWED' | 'BAD_USER_INPUT' | undefined {
  const code = error.extensions?.['code'];
  const http = error.extensions?.['http'] as { status?: number } | undefined;
  if (code === 'BAD_REQUEST' && http?.status === 405) return 'METHOD_NOT_ALLOWED';
  // graphql-js' variable coercion messages: `Variable "$x" got invalid value…`, `…was not provided.`, `…must not be null.`
  if (code === undefined && error.path === undefined && error.message.startsWith('Variable "$')) return 'BAD_USER_INPUT';
  return undefined;
}

function withCode(error: GraphQLError): GraphQLError {
  const code = codeFor(error);
  return code === undefined ? error : withExtensions(error, { ...error.extensions, code, retryable: false });
}


/**
 * A JSON refusal that replaces `previous` (a response yoga made without a body),
 * keeping its headers (request id, CORS) so the client can still match and read it.
 */
export function refusalResponse(
  fetchAPI: { Response: typeof Response },
  previous: Response,
  status: number,
  code: HttpRefusalCode,
  message: string,
): Response {
  const requestId = previous.headers.get('x-request-id') ?? undefined;
  const headers = new Headers(previous.headers);
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.delete('content-length');
  const body = {
    errors: [{ message, extensions: { code, retryable: false, ...(requestId ? { requestId } : {}) } }],
    ...(requestId ? { extensions: { requestId } } : {}),
  };
  return new fetchAPI.Response(JSON.stringify(body), { status, headers });
}
