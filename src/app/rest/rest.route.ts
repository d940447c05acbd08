import type { Request, Response } from 'express';
import type { Config } from '../../core/config';
import type { Logger } from '../../core/logger';
import type { Services } from '../services';

/** One REST operation: MADSci's method and path, and a thin handler over the services. */
export interface MadsciRoute {
  method: 'get' | 'post' | 'delete';
  path: string;
  handler: (req: Request, res: Response) => Promise<void>;
}

/** What the routes need. */
export interface MadsciRouterOptions {
  services: Services;
  config: Config;
  logger: Logger;
}
