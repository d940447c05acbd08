import './dashboard.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { apiKeyHeaders } from '../shared/api-key';
import { readPageConfig, sameOriginWebSocketUrl } from '../shared/page-config';
import { App, type DashboardConfig } from './App';
import { createLiveConnection } from './live';

const config = readPageConfig<DashboardConfig>();
const live = createLiveConnection(sameOriginWebSocketUrl(config.subscriptionPath), apiKeyHeaders);
const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <App config={config} live={live} />
  </StrictMode>,
);
