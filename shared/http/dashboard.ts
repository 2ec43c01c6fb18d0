import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import { DASHBOARD_JS } from './dashboard-assets.generated.ts';
import type { HttpResult } from './types.ts';

/** The tab's icon, inline: without one the browser asks for /favicon.ico, a 404 in its console. */
const ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f77b4"/><path d="M3 12h2V8H3zm4 0h2V4H7zm4 0h2V6h-2z" fill="#fff"/></svg>',
)}`;

/**
 * A card's header: its title, which channels it shows (`data-channel` where the channel filter
 * applies, which the script then fills in) and its CSV button (`data-card`, the script's card name).
 */
const head = (card: string, title: string, filtered = false) =>
  `<div class="head"><h2>${title} <span class="scope"${filtered ? ' data-channel' : ''}>all channels</span></h2>` +
  `<button class="csv" data-card="${card}" title="Download this card's data as CSV">CSV</button></div>`;

/**
 * The dashboard page; its script is the bundle `npm run build:dashboard` generates. The channel
 * options are written here rather than in the script, which would otherwise bundle zod with
 * CHANNEL_IDS.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Attribution dashboard</title>
<link rel="icon" href="${ICON}">
<style>
  body { font-family: system-ui, sans-serif; margin: 1rem; color: #222; }
  header { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; margin-bottom: 1rem; }
  label { display: flex; flex-direction: column; font-size: .8rem; gap: .2rem; }
  [hidden] { display: none !important; }
  input, select { max-width: 100%; box-sizing: border-box; }
  #notice { padding: .75rem 1rem; border-radius: 6px; background: #fff4e5; border: 1px solid #f0b35b; margin-bottom: 1rem; }
  body[data-state="error"] #notice { background: #fdecea; border-color: #e57373; }
  #charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 1rem; }
  section { border: 1px solid #ddd; border-radius: 6px; padding: .75rem; min-width: 0; }
  .head { display: flex; gap: .5rem; align-items: start; margin: 0 0 .5rem; }
  h2 { font-size: 1rem; margin: 0; flex: 1; }
  .scope { font-size: .7rem; font-weight: normal; color: #555; background: #eef1f6; border-radius: 3px; padding: 0 .3rem; white-space: nowrap; }
  .csv { font-size: .7rem; padding: .1rem .4rem; }
  .wide { grid-column: 1 / -1; }
  .journey { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr) 4.5rem) minmax(0, 1fr); }
  .stage { border: 1px solid #ddd; border-top: 4px solid var(--colour); border-radius: 6px; padding: .5rem .6rem; background: #fafbfd; }
  .stage h3 { margin: 0; font-size: .95rem; text-transform: capitalize; color: var(--colour); }
  .people { margin: .2rem 0 .4rem; font-size: .8rem; color: #555; }
  .people b { font-size: 1.4rem; color: #222; }
  .stage dl { display: grid; grid-template-columns: 1fr auto; gap: .2rem .5rem; margin: 0; font-size: .8rem; }
  .stage dt { color: #555; }
  .stage dd { margin: 0; text-align: right; font-weight: 600; }
  .stage dl > div { display: contents; }
  .step { display: flex; flex-direction: column; align-items: center; justify-content: center; font-size: .75rem; color: #555; text-align: center; }
  .step::before { content: "→"; font-size: 1.6rem; line-height: 1; color: #999; }
  .step b { font-size: .95rem; color: #222; }
  @media (max-width: 900px) {
    .journey { grid-template-columns: minmax(0, 1fr); }
    .step { flex-direction: row; gap: .5rem; padding: .3rem 0; }
    .step::before { content: "↓"; }
  }
  .scroll { overflow-x: auto; }
  .sankey { position: relative; height: 360px; }
  .note { font-size: .8rem; color: #555; margin: .5rem 0 0; }
  #journey-note { margin: 0 0 .5rem; }
  th.group { text-align: center; text-transform: capitalize; border-bottom: 1px solid #ccc; }
  table { border-collapse: collapse; font-size: .8rem; font-variant-numeric: tabular-nums; }
  th, td { padding: .25rem .5rem; text-align: right; white-space: nowrap; }
  thead th { border-bottom: 1px solid #ccc; vertical-align: bottom; }
  tfoot th, tfoot td { border-top: 1px solid #ccc; font-weight: 600; }
  tbody th, tfoot th, thead th:first-child { text-align: left; position: sticky; left: 0; background: #fff; }
</style>
</head>
<body>
<header>
  <h1 style="margin:0 1rem 0 0;font-size:1.3rem">Attribution</h1>
  <label>Query key <input id="key" type="password" size="30" autocomplete="off"></label>
  <label>From <input id="from" type="date"></label>
  <label>To <input id="to" type="date"></label>
  <label>Channel <select id="channel"><option value="">All channels</option>${CHANNEL_IDS.map((id) => `<option>${id}</option>`).join('')}</select></label>
  <button id="load">Show</button>
  <span id="status" aria-live="polite"></span>
</header>
<div id="notice" role="alert" hidden></div>
<main id="charts" hidden>
  <section class="wide">${head('journey', 'Journey map: people per stage, step conversion and median days between', true)}<p id="journey-note" class="note" hidden></p><div id="journey" class="journey"></div></section>
  <section>${head('channel-share', 'Channel share of touches by <span class="per">day</span> (%)')}<canvas id="channel-share"></canvas></section>
  <section>${head('share-of-voice', 'Share of voice by <span class="per">day</span> (%)')}<canvas id="share-of-voice"></canvas></section>
  <section>${head('visitors', 'Visitors and visits by <span class="per">day</span>')}<canvas id="visitors"></canvas></section>
  <section>${head('email-rates', 'E-mail open and click rates by <span class="per">day</span> (%)')}<canvas id="email-rates"></canvas></section>
  <section class="wide">${head('paths', 'Top channel paths: journeys step by step, and whether they converted')}<div class="sankey"><canvas id="paths"></canvas></div></section>
  <section class="wide">${head('models', 'Attribution models per channel: conversions, CPA and ROAS, beside what people said')}<div class="scroll"><table id="models"></table></div><p id="models-note" class="note"></p></section>
  <section class="wide">${head('ads', 'Ads by platform')}<div class="scroll"><table id="ads"></table></div></section>
  <section class="wide">${head('email', 'E-mail by campaign: delivery, bounce, open, click and unsubscribe rates')}<div class="scroll"><table id="email"></table></div></section>
  <section>${head('referrals', 'Top referral domains')}<canvas id="referrals"></canvas></section>
  <section>${head('cpa', 'Funnel: events (log scale) and cost per event by stage', true)}<canvas id="cpa"></canvas></section>
</main>
<script src="/dashboard.js"></script>
</body>
</html>
`;

export function dashboardPage(): HttpResult {
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
    body: PAGE,
  };
}

export function dashboardScript(): HttpResult {
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' },
    body: DASHBOARD_JS,
  };
}
