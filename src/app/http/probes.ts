import { Router } from 'express';
import type { HealthService } from '../../health/health.service';

/**
 * Kubernetes-style probes: `GET /healthz` (liveness: 200 while the process serves) and
 * `GET /readyz` (readiness: 200 when the database answers, 503 otherwise).
 */
export function probesRouter(health: HealthService, engine: string): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ready = await health.ready();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database: engine });
  });
  return router;
}
