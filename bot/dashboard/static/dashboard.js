// hedgebot's read-only dashboard: renders the model from /api/model, then every model the
// server pushes on /api/events. Exact values stay in data-value; the text is rounded for reading.
"use strict";

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v, digits) => v === null || v === undefined ? "—"
  : Number(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (v) => v === null || v === undefined ? "—" : "$" + fmt(v, 2);
const hf = (v) => v === null || v === undefined ? "∞ (no debt)" : fmt(v, 3);
const pct = (v) => v === null || v === undefined ? "—" : fmt(Number(v) * 100, 1) + " %";
const time = (iso) => iso ? new Date(iso).toLocaleString("en-GB", { hour12: false }) : "—";

function figure(label, field, value, text, cls = "value") {
  return `<div class="figure"><div class="label">${label}</div>` +
    `<div class="${cls}" data-field="${field}" data-value="${esc(value)}">${esc(text)}</div></div>`;
}

function table(rows, columns, empty) {
  if (!rows || rows.length === 0) return `<p class="empty">${empty}</p>`;
  const head = columns.map(([title, , num]) => `<th class="${num ? "num" : ""}">${title}</th>`).join("");
  // A column's fourth element [field, raw] puts the exact value beside the rounded text.
  const cell = (r, [, get, num, exact]) => `<td class="${num ? "num" : ""}"` +
    (exact ? ` data-field="${exact[0]}" data-value="${esc(exact[1](r))}"` : "") + `>${esc(get(r))}</td>`;
  const body = rows.map((r) => `<tr data-key="${esc(r.underlying ?? r.symbol ?? "")}">` +
    columns.map((c) => cell(r, c)).join("") + "</tr>").join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function positionCard(p) {
  const t = p.totals || {};
  const reserve = p.reserve_for_crash;
  const loops = p.loops;
  const hedges = table(p.underlyings, [
    ["Underlying", (u) => u.underlying], ["Futures", (u) => u.symbol],
    ["Mark (USD)", (u) => fmt(u.mark, 2), true],
    ["Loan liquidation price (USD)", (u) => u.liquidation_price === null ? "—" : fmt(u.liquidation_price, 2), true],
    ["Distance", (u) => pct(u.liquidation_distance), true],
    ["Hedge short (USD)", (u) => usd(u.current_short_usd), true, ["current_short_usd", (u) => u.current_short_usd]],
    ["Target short (USD)", (u) => usd(u.target_short_usd), true, ["target_short_usd", (u) => u.target_short_usd]],
  ], "no mapped collateral");
  return `<section class="position ${p.hf_state} guard-${esc(loops.guard)}" data-position="${esc(p.position)}">
    <h2>${esc(p.position)} <small>block <span data-field="block_number" data-value="${esc(p.block_number)}">${esc(p.block_number)}</span> · chain ${esc(p.chain_id)} · ${esc(p.exchange)} exchange</small></h2>
    <div class="figures">
      ${figure("Oracle HF", "oracle_hf", p.oracle_hf, hf(p.oracle_hf), "hf oracle")}
      ${figure("Shadow HF <small>(exchange marks)</small>", "shadow_hf", p.shadow_hf, hf(p.shadow_hf), "hf")}
      ${figure("Collateral (USD)", "collateral_usd", t.collateral_usd, usd(t.collateral_usd))}
      ${figure("Debt (USD)", "debt_usd", t.debt_usd, usd(t.debt_usd))}
      ${figure("Crash to liquidation", "crash_to_liquidation", t.crash_to_liquidation, pct(t.crash_to_liquidation))}
      ${figure(`Reserve needed <small>(${esc(reserve ? reserve.symbol : "no stable debt")})</small>`,
               "reserve_amount", reserve ? reserve.amount : "", reserve ? fmt(reserve.amount, 2) : "—")}
      <div class="figure"><div class="label">Guard</div>
        <span class="badge ${esc(loops.guard)}" data-field="guard">${esc(loops.guard)}</span>
        <div class="reason">${esc(loops.guard_reason)}</div></div>
      <div class="figure"><div class="label">Hedger</div>
        <span class="badge ${esc(loops.hedger)}" data-field="hedger">${esc(loops.hedger)}</span>
        <div class="reason">${esc(loops.hedger_reason)}</div></div>
    </div>
    ${reserve ? `<p class="reason">reserve sized for ${esc(reserve.basis)}</p>` : ""}
    ${reserve && reserve.warning ? `<p class="warning">${esc(reserve.warning)}</p>` : ""}
    <h2>Hedge vs target, liquidation prices</h2>${hedges}
  </section>`;
}

let chart = null;

function drawChart(model) {
  // The latest read (the big numbers) ends the line when no cycle has journaled it yet.
  const points = [...model.hf_history];
  const now = model.positions.length === 1 ? model.positions[0] : null;
  const last = points.length ? points[points.length - 1].block : -1;
  if (now && now.block_number > last) {
    points.push({ t: Date.parse(model.at), block: now.block_number, oracle_hf: now.oracle_hf, shadow_hf: now.shadow_hf });
  }
  const labels = points.map((x) => new Date(x.t).toLocaleTimeString("en-GB", { hour12: false }));
  const line = (v) => points.map(() => (v === null ? null : Number(v)));
  const lines = model.guard_lines;
  const datasets = [
    { label: "oracle HF", data: points.map((x) => x.oracle_hf && Number(x.oracle_hf)), borderColor: "#1f5fbf", pointRadius: 0, borderWidth: 2 },
    { label: "shadow HF", data: points.map((x) => x.shadow_hf && Number(x.shadow_hf)), borderColor: "#8e44ad", pointRadius: 0, borderWidth: 2 },
    { label: "guard trigger", data: line(lines.trigger_hf), borderColor: "#c62828", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 },
    { label: "guard target", data: line(lines.target_hf), borderColor: "#1a7f37", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 },
  ];
  if (chart === null) {
    chart = new Chart(document.getElementById("hf-chart"), {
      type: "line",
      data: { labels, datasets },
      options: { animation: false, maintainAspectRatio: false, spanGaps: true,
        scales: { y: { title: { display: true, text: "health factor" } }, x: { title: { display: true, text: "cycle start (local time)" } } } },
    });
  } else {
    chart.data.labels = labels;
    chart.data.datasets.forEach((d, i) => { d.data = datasets[i].data; });
    chart.update();
  }
}

// With ha: this replica's role (a follower acts on nothing) and who leads, from the journal.
function renderReplica(lead) {
  const badge = document.getElementById("replica");
  badge.hidden = !lead;
  if (!lead) return;
  const role = lead.role || "";
  badge.className = `badge ${role}`;
  badge.dataset.role = role;
  badge.textContent = lead.replica ? `replica ${lead.replica}: ${role}` : "replicas";
  badge.title = lead.epoch === null ? "no replica has led yet"
    : `${lead.leader} leads epoch ${lead.epoch} since ${lead.since}: ${lead.reason}`;
}

function render(model) {
  document.getElementById("account").textContent = `account ${model.account}`;
  document.getElementById("exchange").textContent = model.exchange;
  renderReplica(model.leadership);
  const error = document.getElementById("error");
  error.hidden = !model.error;
  error.textContent = model.error || "";
  document.getElementById("positions").innerHTML = model.positions.map(positionCard).join("");
  drawChart(model);
  document.getElementById("hedge-liq").innerHTML = table(model.hedge_liquidation, [
    ["Symbol", (h) => h.symbol], ["Quantity", (h) => h.quantity, true], ["Mark (USD)", (h) => fmt(h.mark, 2), true],
    ["Liquidation (USD)", (h) => h.liquidation_price === null ? "—" : fmt(h.liquidation_price, 2), true],
    ["Distance", (h) => pct(h.distance), true], ["Unrealised PnL", (h) => fmt(h.unrealized_pnl, 2), true],
  ], "no open hedge (or the hedger has not read the exchange yet)");
  const m = model.margin_for_hedge;
  document.getElementById("margin").innerHTML = !m ? `<p class="empty">no hedge wanted</p>` :
    `<div class="figures">${figure("Have", "margin_have_usd", m.have_usd, usd(m.have_usd))}
     ${figure("Need", "margin_need_usd", m.need_usd, usd(m.need_usd))}
     ${figure("Shortfall", "margin_shortfall_usd", m.shortfall_usd, usd(m.shortfall_usd))}
     ${figure("Min. short liq. distance", "short_liq_distance", m.short_liq_distance, pct(m.short_liq_distance))}</div>
     ${m.warning ? `<p class="warning">${esc(m.warning)}</p>` : ""}`;
  document.getElementById("orders").innerHTML = table(model.orders, [
    ["Time", (o) => time(o.at)], ["Symbol", (o) => o.symbol], ["Side", (o) => o.side],
    ["Quantity", (o) => o.quantity, true], ["Status", (o) => o.status + (o.paper ? " (paper)" : "")],
    ["Filled", (o) => o.executed_quantity ?? "—", true], ["Avg price (USD)", (o) => o.average_price === null ? "—" : fmt(o.average_price, 2), true],
    ["Reason", (o) => o.reason],
  ], "no orders in 24 h");
  document.getElementById("repays").innerHTML = table(model.repays, [
    ["Time", (t) => time(t.at)], ["Kind", (t) => t.kind], ["Amount", (t) => t.amount === null ? "—" : `${fmt(t.amount, 2)} ${t.asset || ""}`, true],
    ["Status", (t) => t.status + (t.revert_reason ? `: ${t.revert_reason}` : "")],
  ], "no chain transactions in 24 h");
  document.getElementById("moves").innerHTML = table(model.money_moves, [
    ["Time", (x) => time(x.created_at)], ["Kind", (x) => x.kind], ["Amount", (x) => `${fmt(x.amount, 2)} ${x.coin}`, true], ["Stage", (x) => x.stage],
  ], "no transfers in 24 h");
  document.getElementById("alerts").innerHTML = table(model.alerts_24h, [
    ["Time", (x) => time(x.at)], ["Severity", (x) => x.severity], ["Alert", (x) => x.title], ["Outcome", (x) => x.outcome],
  ], "no alerts in 24 h");
  document.getElementById("funding").innerHTML = table(model.funding_24h, [
    ["Time", (x) => time(x.at)], ["Symbol", (x) => x.symbol], ["Amount", (x) => `${x.amount} ${x.asset}`, true],
  ], "no funding in 24 h");
  document.getElementById("actions").innerHTML = table(model.operator_actions, [
    ["Time", (x) => time(x.at)], ["Action", (x) => x.action], ["By", (x) => x.actor], ["Position", (x) => x.position ?? "all"], ["Reason", (x) => x.reason],
  ], "no operator actions");
  const updated = document.getElementById("updated");
  updated.dataset.at = model.at;
  updated.dataset.updates = String(Number(updated.dataset.updates) + 1);
  updated.textContent = `updated ${time(model.at)}`;
}

async function start() {
  const first = await fetch("/api/model", { credentials: "same-origin" });
  if (first.ok) render(await first.json());
  else document.getElementById("updated").textContent = `error ${first.status}: ${(await first.json()).error}`;
  const events = new EventSource("/api/events");
  events.addEventListener("model", (e) => render(JSON.parse(e.data)));
  events.onerror = () => { document.getElementById("updated").textContent = "reconnecting…"; };
}

start();
