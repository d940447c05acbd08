import express, { type Request, type Router } from 'express';
import type { Config } from '../../core/config';
import { sendPage } from './html-page';
import { assetsRouter, assetUrl, defaultWebDir, readManifest } from './web-bundle';

/** Where GraphQL is served, over HTTP and WebSocket alike. */
const GRAPHQL_PATH = '/graphql';

/**
 * Whether a request is a browser opening a page: a GET whose Accept header prefers HTML over
 * JSON. Clients of the API (POST, or GET with `Accept: application/json` or anything) pass on
 * to Apollo untouched; WebSocket upgrades never reach Express.
 */
function wantsHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/** Settings the IDE page reads (web/ide/main.tsx). */
function ideConfig(config: Config, workers: { editor: string; json: string; graphql: string }) {
  return { graphqlPath: GRAPHQL_PATH, subscriptionPath: GRAPHQL_PATH, apiKeyHeader: config.web.apiKeyHeader, workers };
}

/**
 * The browser side of the server: the GraphQL IDE at `GET /graphql` (when a browser asks for
 * HTML; configurable off, off by default in production), the dashboard at `/`, and the bundles
 * under `/assets`. Mount before Apollo so the IDE's GET is answered here.
 */
export function createWebRouter(config: Config, webDir: string = defaultWebDir()): Router {
  const router = express.Router();
  if (!config.web.ideEnabled && !config.web.dashboardEnabled) return router;
  router.use(assetsRouter(webDir));

  if (config.web.ideEnabled) {
    router.get(GRAPHQL_PATH, (req, res, next) => {
      if (!wantsHtml(req)) return next();
      const manifest = readManifest(webDir);
      const worker = (name: string) => {
        const entry = manifest?.entries[name];
        return entry ? assetUrl(entry.js) : '';
      };
      sendPage(res, {
        manifest,
        entry: 'ide',
        title: 'lab-events GraphQL IDE',
        config: ideConfig(config, {
          editor: worker('editor.worker'),
          json: worker('json.worker'),
          graphql: worker('graphql.worker'),
        }),
        host: req.headers.host,
      });
    });
  }

  if (config.web.dashboardEnabled) {
    router.get('/', (req, res) => {
      sendPage(res, {
        manifest: readManifest(webDir),
        entry: 'dashboard',
        title: 'Lab events',
        config: {
          graphqlPath: GRAPHQL_PATH,
          subscriptionPath: GRAPHQL_PATH,
          exportEventsCsvPath: '/export/events.csv',
          exportUtilizationCsvPath: '/export/utilization/sessions.csv',
          idePath: config.web.ideEnabled ? GRAPHQL_PATH : null,
          pageSize: 50,
        },
        host: req.headers.host,
      });
    });
  }
  return router;
}
