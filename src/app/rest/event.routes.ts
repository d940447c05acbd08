import { ArchiveState } from '../../events/event.enums';
import type { EventFilter } from '../../events/event.types';
import { appErrorOf, ErrorCode, NotFoundError } from '../../core/errors';
import { issue, RequestValidationError } from './rest.errors';
import type { MadsciRoute, MadsciRouterOptions } from './rest.route';
import { parseMadsciEvent, sendEventMap, toMadsciEvent } from './wire';
import { LiteralSyntaxError, parsePythonLiteral } from './python-literal';
import { QueryReader } from './query-reader';

/** Ingest and reads: `POST /event`, `GET /event/{id}`, `GET /events`, `POST /events/query`. */
export function eventRoutes({ services, config }: MadsciRouterOptions): MadsciRoute[] {
  const { events } = services;
  const maxPage = config.limits.maxPageSize;
  return [
    {
      method: 'post',
      path: '/event',
      handler: async (req, res) => {
        const stored = await events.logEvent(parseMadsciEvent(req.body));
        res.json(toMadsciEvent(stored));
      },
    },
    {
      method: 'get',
      path: '/event/:event_id',
      handler: async (req, res) => {
        const id = String(req.params.event_id);
        const [stored] = await events.findByIds([id]);
        if (!stored) throw new NotFoundError(`Event with ID ${id} not found`);
        res.json(toMadsciEvent(stored));
      },
    },
    {
      method: 'get',
      path: '/events',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const number = q.pageSize('number', 100, maxPage);
        const offset = q.int('offset', 0, 0);
        const level = q.level('level');
        const start = q.dateTime('start_time');
        const end = q.dateTime('end_time');
        const includeArchived = q.bool('include_archived', false);
        q.done();
        const filter: EventFilter = {
          archived: includeArchived ? ArchiveState.ALL : ArchiveState.ACTIVE,
          ...(level !== undefined ? { minLevel: level } : {}),
          ...(start ? { from: start } : {}),
          // MADSci's end bound is inclusive; the filter's `to` is exclusive, and instants are whole milliseconds.
          ...(end ? { to: new Date(end.getTime() + 1) } : {}),
        };
        const page = await events.page({ filter, limit: number, offset });
        sendEventMap(res, page.items);
      },
    },
    {
      method: 'post',
      path: '/events/query',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const number = q.pageSize('number', maxPage, maxPage);
        const offset = q.int('offset', 0, 0);
        // docs/madsci-compatibility.md#d9-raw-selectors: the selector is the JSON body, or, as MADSci's Python client sends it, the
        // `selector` query parameter (Python literal syntax or JSON).
        let selector: unknown;
        let where: (string | number)[];
        if (req.body !== undefined) {
          selector = req.body;
          where = ['body'];
        } else {
          where = ['query', 'selector'];
          const text = q.string('selector');
          if (text === undefined) q.missing(['body'], null);
          else {
            try {
              selector = parsePythonLiteral(text);
            } catch (error) {
              if (!(error instanceof LiteralSyntaxError)) throw error;
              q.add(
                issue(
                  'value_error',
                  where,
                  `Value error, the selector is not a JSON or Python literal: ${error.message}`,
                  text,
                ),
              );
            }
          }
        }
        q.done();
        try {
          sendEventMap(res, await events.query({ selector, limit: number, offset }));
        } catch (error) {
          throw withLoc(error, where, selector);
        }
      },
    },
  ];
}

/** A service's BAD_USER_INPUT for the selector, placed where the selector came from. */
function withLoc(error: unknown, loc: (string | number)[], input: unknown): unknown {
  const own = appErrorOf(error);
  if (own?.code === ErrorCode.BAD_USER_INPUT && own.field === 'selector') {
    return new RequestValidationError([issue('value_error', loc, `Value error, ${own.message}`, input)]);
  }
  return error;
}
