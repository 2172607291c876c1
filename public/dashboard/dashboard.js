/*
 * Partner dashboard: the partner's loans and portfolio over HTTP, and loan status changes live
 * over graphql-ws (same host, path /graphql). The last event's cursor is kept in localStorage,
 * so after a reload (or a lost connection) the subscription resumes with `after` and replays
 * whatever happened in between: no gap, no duplicate. A click on a loan opens its installments
 * and transactions (a reversed transaction struck through, with a "reversed" badge); the open
 * loan is read again whenever one of its status changes arrives. Charts (Chart.js, served by the
 * gateway from node_modules) show the loans by status and by days past due and the money
 * disbursed and collected per Jakarta day of a chosen period; they are read again (debounced) as
 * status changes arrive. The loans table pages with cursors, filters by status and exports every
 * loan matching the filter (all pages) as CSV. Plain JavaScript, no build step.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("page-config").textContent || "{}");
  var GRAPHQL_URL = new URL("/graphql", window.location.href).toString();
  var WS_URL = GRAPHQL_URL.replace(/^http/, "ws");
  var TOKEN_KEY = "dashboard.token"; // sessionStorage: this tab only, survives a reload
  var MAX_EVENTS = 100;
  var NO_DEMO_TOKEN =
    "No demo token here (only for the gateway's own machine, as localhost or 127.0.0.1, in development): paste a PARTNER token (npm run token -- --role PARTNER --sub <partner id>).";

  var ME = "query Me { me { role partner { id code name } } }";
  var PAGE_SIZE = 20;
  var EXPORT_PAGE_SIZE = 100; // the API's largest page
  var LOANS = [
    "query PartnerLoans($first: Int, $after: String, $filter: LoanFilter) {",
    "  loans(first: $first, after: $after, filter: $filter) {",
    "    totalCount",
    "    pageInfo { hasNextPage endCursor }",
    "    nodes { id status statusCode daysPastDue outstandingAmount principal customer { fullName } }",
    "  }",
    "}",
  ].join("\n");
  var SUMMARY = [
    "query Summary($partnerId: ID) {",
    "  portfolioSummary(partnerId: $partnerId) {",
    "    loanCount activeLoanCount outstandingAmount disbursedTotal collectedTotal",
    "    byStatus { status count outstandingAmount }",
    "    byDaysPastDue { label count outstandingAmount }",
    "  }",
    "}",
  ].join("\n");
  var SERIES = [
    "query Series($partnerId: ID, $from: Date!, $to: Date!) {",
    "  portfolioSeries(from: $from, to: $to, partnerId: $partnerId) { date disbursedCount disbursedAmount collectedCount collectedAmount }",
    "}",
  ].join("\n");
  // PARTNER sees its customers' transactions and their reversal (reason, status, dates; the
  // ADMINs' names, requestedBy/decidedBy, are null for it and not asked for).
  var LOAN_DETAIL = [
    "query LoanDetail($id: ID!) {",
    "  loan(id: $id) {",
    "    id status daysPastDue totalDue totalPaid outstandingAmount customer { fullName }",
    "    payments { installmentNumber dueDate amountDue paidAmount status }",
    "    transactions(first: 50) {",
    "      totalCount",
    "      nodes { id kind amount walletCredit paidAt channel reversed reversal { status reason requestedAt decidedAt } }",
    "    }",
    "  }",
    "}",
  ].join("\n");
  var WATCH = [
    "subscription WatchLoans($partnerId: ID, $after: String) {",
    "  loanStatusChanged(partnerId: $partnerId, after: $after) {",
    "    cursor at fromStatus toStatus reason",
    "    loan { id status statusCode daysPastDue outstandingAmount principal customer { fullName } }",
    "  }",
    "}",
  ].join("\n");

  var $ = function (id) {
    return document.getElementById(id);
  };
  var state = {
    token: null,
    partnerId: null,
    loans: new Map(), // id → loan
    order: [], // loan ids, as listed
    client: null,
    unsubscribe: null,
    retryTimer: null,
    retryDelay: 1000,
    summaryTimer: null,
    afters: [null], // the `after` cursor of every page up to the current one
    pageInfo: null, // { hasNextPage, endCursor } of the current page
    total: 0, // loans matching the filter
    filter: "", // one status, or "" for all
    listSeq: 0, // bumps on every page load so a slower, older answer is dropped
    seriesSeq: 0,
    partnerCode: null,
    detailId: null, // the loan whose installments and transactions are shown
    detailSeq: 0, // bumps on every detail load so a slower, older answer is dropped
    generation: 0, // bumps on every (re)connect so late callbacks of an old one are ignored
  };

  // ---------- small helpers ----------

  function rupiah(money) {
    if (money === null || money === undefined) return "–";
    return String(money).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function statusClass(status) {
    if (status === "CURRENT") return "status ok";
    if (/^LATE_(1|5|30)DPD$/.test(status)) return "status late";
    if (/^LATE_/.test(status) || status === "WRITTEN_OFF" || status === "DISBURSAL_FAILED") return "status bad";
    if (status === "PAID_OFF" || /^PAID_/.test(status)) return "status done";
    if (/^OVERDUE_/.test(status)) return "status late";
    return "status";
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function showError(message) {
    $("error").textContent = message || "";
    $("error").hidden = !message;
  }

  function setConn(s, label) {
    $("conn").dataset.state = s;
    $("conn").textContent = label || s;
  }

  function cursorKey() {
    return "dashboard.cursor." + (state.partnerId || "all");
  }

  function savedCursor() {
    return window.localStorage.getItem(cursorKey());
  }

  function showCursor() {
    var c = savedCursor();
    $("cursor").textContent = c || "none yet";
  }

  /** POST /graphql with the token; resolves `data`, rejects with the first error's message. */
  function gql(query, variables) {
    return fetch(GRAPHQL_URL, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + state.token },
      body: JSON.stringify({ query: query, variables: variables || {} }),
    })
      .then(function (res) {
        return res.json();
      })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          var e = body.errors[0];
          var err = new Error(e.message + (e.extensions && e.extensions.code ? " (" + e.extensions.code + ")" : ""));
          err.code = e.extensions && e.extensions.code;
          throw err;
        }
        return body.data;
      });
  }

  // ---------- rendering ----------

  function loanRow(loan) {
    var tr = el("tr", { "data-loan-id": loan.id }, [
      el("td", {}, [el("button", { type: "button", class: "link id", "data-action": "open", title: "Show " + loan.id, text: loan.id.slice(0, 8) })]),
      el("td", { text: (loan.customer && loan.customer.fullName) || "–" }),
      el("td", {}, [el("span", { class: statusClass(loan.status), "data-field": "status", text: loan.status })]),
      el("td", { class: "num", "data-field": "daysPastDue", text: String(loan.daysPastDue) }),
      el("td", { class: "num", "data-field": "outstandingAmount", text: rupiah(loan.outstandingAmount) }),
      el("td", { class: "num", text: rupiah(loan.principal) }),
    ]);
    if (loan.id === state.detailId) tr.classList.add("selected");
    return tr;
  }

  function renderLoans(total) {
    var tbody = $("loans").querySelector("tbody");
    tbody.replaceChildren.apply(
      tbody,
      state.order.map(function (id) {
        return loanRow(state.loans.get(id));
      }),
    );
    $("loans-empty").hidden = state.order.length > 0;
    if (total !== undefined) $("loans-count").textContent = "(" + state.order.length + " of " + total + ")";
    renderPager();
  }

  function renderPager() {
    var page = state.afters.length - 1;
    var connected = !!state.token;
    $("page-prev").disabled = !connected || page === 0;
    $("page-next").disabled = !connected || !(state.pageInfo && state.pageInfo.hasNextPage);
    $("export-csv").disabled = !connected || state.total === 0;
    if (!connected) {
      $("page-info").textContent = "–";
      return;
    }
    var first = page * PAGE_SIZE + 1;
    $("page-info").textContent = state.order.length ? first + "–" + (first + state.order.length - 1) + " of " + state.total : "0 of " + state.total;
    $("page-info").dataset.page = String(page + 1);
  }

  function updateLoan(loan) {
    var known = state.loans.has(loan.id);
    // A loan not on this page shows up at the top of the first page only, when the filter lets it.
    if (!known && (state.afters.length > 1 || (state.filter && loan.status !== state.filter))) return;
    state.loans.set(loan.id, loan);
    var tbody = $("loans").querySelector("tbody");
    var row = loanRow(loan);
    row.className = "changed";
    var old = tbody.querySelector('tr[data-loan-id="' + loan.id + '"]');
    if (known && old) tbody.replaceChild(row, old);
    else {
      state.order.unshift(loan.id);
      tbody.insertBefore(row, tbody.firstChild);
    }
    $("loans-empty").hidden = true;
  }

  function renderSummary(s) {
    var fields = $("summary").querySelectorAll("dd[data-field]");
    Array.prototype.forEach.call(fields, function (dd) {
      var f = dd.getAttribute("data-field");
      var v = s ? s[f] : null;
      dd.textContent = v === null || v === undefined ? "–" : /Amount|Total/.test(f) ? "Rp " + rupiah(v) : String(v);
    });
    var chips = (s ? s.byStatus : []).map(function (b) {
      return el("li", {}, [el("span", { class: statusClass(b.status), text: b.status + " · " + b.count })]);
    });
    $("by-status").replaceChildren.apply($("by-status"), chips);
    renderStatusChart(s ? s.byStatus : []);
    renderDpdChart(s ? s.byDaysPastDue : []);
  }

  // ---------- charts ----------

  var STATUS_COLORS = {
    CURRENT: "#2f9e6b",
    LATE_1DPD: "#f2c14e",
    LATE_5DPD: "#f29e4c",
    LATE_30DPD: "#e8743b",
    LATE_60DPD: "#d9534f",
    LATE_90DPD: "#b42318",
    LATE_120DPD: "#8e1b12",
    LATE_150DPD: "#6d140d",
    LATE_180DPD: "#4a0e09",
    PAID_OFF: "#1f5fbf",
    WRITTEN_OFF: "#5b6472",
    INACTIVE: "#c3cad5",
    CANCELLED: "#9aa3b2",
    DISBURSAL_FAILED: "#7a4fb5",
  };
  var DPD_COLORS = ["#2f9e6b", "#f2c14e", "#f29e4c", "#e8743b", "#d9534f", "#8e1b12"];
  var charts = {};

  function chartsAvailable() {
    return typeof window.Chart === "function";
  }

  /** "Rp 2,9 jt": short rupiah for axes (ribu, juta, miliar, triliun). */
  function shortRupiah(v) {
    var units = [
      [1e12, " T"],
      [1e9, " M"],
      [1e6, " jt"],
      [1e3, " rb"],
    ];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(v) >= units[i][0]) return "Rp " + (v / units[i][0]).toFixed(1).replace(".", ",").replace(/,0$/, "") + units[i][1];
    }
    return "Rp " + v;
  }

  /** Creates the chart on the canvas, or gives the existing one new data (no animation). */
  function drawChart(id, type, data, options, summary) {
    var canvas = $(id);
    canvas.setAttribute("aria-label", summary);
    if (!chartsAvailable()) return;
    var chart = charts[id];
    if (chart) {
      chart.data.labels = data.labels;
      data.datasets.forEach(function (d, i) {
        if (chart.data.datasets[i]) Object.assign(chart.data.datasets[i], d);
        else chart.data.datasets.push(d);
      });
      chart.data.datasets.length = data.datasets.length;
      chart.update("none");
      return;
    }
    charts[id] = new window.Chart(canvas, {
      type: type,
      data: data,
      options: Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, options),
    });
  }

  function renderStatusChart(rows) {
    var labels = rows.map(function (r) {
      return r.status;
    });
    var counts = rows.map(function (r) {
      return r.count;
    });
    drawChart(
      "chart-status",
      "doughnut",
      {
        labels: labels,
        datasets: [
          {
            label: "Loans",
            data: counts,
            backgroundColor: labels.map(function (l) {
              return STATUS_COLORS[l] || "#8a94a6";
            }),
            borderWidth: 1,
          },
        ],
      },
      { cutout: "55%", plugins: { legend: { position: "right", labels: { boxWidth: 12, font: { size: 11 } } } } },
      rows.length
        ? "Loans by status: " +
            rows
              .map(function (r) {
                return r.status + " " + r.count;
              })
              .join(", ")
        : "Loans by status: no loans",
    );
  }

  function renderDpdChart(rows) {
    rows = rows || [];
    drawChart(
      "chart-dpd",
      "bar",
      {
        labels: rows.map(function (r) {
          return r.label === "0" ? "0 days" : r.label + " days";
        }),
        datasets: [
          {
            label: "Active loans",
            data: rows.map(function (r) {
              return r.count;
            }),
            backgroundColor: DPD_COLORS,
            outstanding: rows.map(function (r) {
              return r.outstandingAmount;
            }),
          },
        ],
      },
      {
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              afterLabel: function (ctx) {
                return "Outstanding Rp " + rupiah(ctx.dataset.outstanding[ctx.dataIndex]);
              },
            },
          },
        },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
      rows.length
        ? "Active loans by days past due: " +
            rows
              .map(function (r) {
                return r.label + " " + r.count;
              })
              .join(", ")
        : "Active loans by days past due: no data",
    );
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function renderSeries(days) {
    days = days || [];
    var sum = function (f) {
      return days.reduce(function (s, d) {
        return s + BigInt(d[f]);
      }, BigInt(0));
    };
    var count = function (f) {
      return days.reduce(function (s, d) {
        return s + d[f];
      }, 0);
    };
    var disbursed = sum("disbursedAmount");
    var collected = sum("collectedAmount");
    var summary = days.length
      ? "Disbursed Rp " + rupiah(disbursed) + " (" + plural(count("disbursedCount"), "loan") + ") · Collected Rp " + rupiah(collected) + " (" + plural(count("collectedCount"), "payment") + ")"
      : "";
    $("series-total").textContent = summary;
    drawChart(
      "chart-money",
      "bar",
      {
        labels: days.map(function (d) {
          return d.date;
        }),
        datasets: [
          {
            label: "Disbursed",
            backgroundColor: "#1f5fbf",
            data: days.map(function (d) {
              return Number(d.disbursedAmount);
            }),
            raw: days.map(function (d) {
              return d.disbursedAmount;
            }),
          },
          {
            label: "Collected",
            backgroundColor: "#2f9e6b",
            data: days.map(function (d) {
              return Number(d.collectedAmount);
            }),
            raw: days.map(function (d) {
              return d.collectedAmount;
            }),
          },
        ],
      },
      {
        plugins: {
          legend: { position: "top", align: "end", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return ctx.dataset.label + ": Rp " + rupiah(ctx.dataset.raw[ctx.dataIndex]);
              },
            },
          },
        },
        scales: {
          x: {
            ticks: {
              maxRotation: 0,
              autoSkipPadding: 12,
              callback: function (v) {
                return this.getLabelForValue(v).slice(5);
              },
            },
          },
          y: { beginAtZero: true, ticks: { callback: shortRupiah } },
        },
      },
      days.length ? "Money per day " + days[0].date + " to " + days[days.length - 1].date + ": " + summary : "Money disbursed and collected per day: no data",
    );
  }

  function addEvent(e) {
    var li = el("li", { "data-cursor": e.cursor }, [
      el("time", { datetime: e.at, text: new Date(e.at).toLocaleTimeString() }),
      el("span", { class: "id", title: e.loan.id, text: e.loan.id.slice(0, 8) }),
      " " + ((e.loan.customer && e.loan.customer.fullName) || "") + ": ",
      el("span", { class: statusClass(e.fromStatus || ""), text: e.fromStatus || "new" }),
      " → ",
      el("span", { class: statusClass(e.toStatus), "data-field": "toStatus", text: e.toStatus }),
      e.reason ? el("span", { class: "reason", "data-field": "reason", text: " " + e.reason }) : "",
    ]);
    var list = $("events");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_EVENTS) list.removeChild(list.lastChild);
    $("events-empty").hidden = true;
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : "–";
  }

  /** A transaction's row: a reversed one struck through with a "reversed" badge and its reason. */
  function transactionRow(t) {
    var r = t.reversal;
    var badges = [];
    if (t.reversed) {
      badges.push(el("span", { class: "badge reversed", "data-field": "reversed", title: "Reversed " + when(r && r.decidedAt), text: "reversed" }));
    } else if (r && r.status === "PENDING") {
      badges.push(el("span", { class: "badge pending", "data-field": "reversal", text: "reversal pending" }));
    } else if (r && r.status === "REJECTED") {
      badges.push(el("span", { class: "badge", "data-field": "reversal", text: "reversal rejected" }));
    }
    if (r && (t.reversed || r.status === "PENDING")) badges.push(el("span", { class: "reason", "data-field": "reversal-reason", text: " " + r.reason }));
    return el("tr", { "data-transaction-id": t.id, class: t.reversed ? "reversed" : "" }, [
      el("td", { class: "money", text: when(t.paidAt) }),
      el("td", { class: "money", text: t.kind }),
      el("td", { class: "num money", "data-field": "amount", text: rupiah(t.amount) }),
      el("td", { class: "num money", text: rupiah(t.walletCredit) }),
      el("td", { class: "money", text: t.channel || "–" }),
      el("td", { class: "badges" }, badges),
    ]);
  }

  function installmentRow(p) {
    return el("tr", {}, [
      el("td", { class: "num", text: String(p.installmentNumber) }),
      el("td", { text: p.dueDate }),
      el("td", { class: "num", text: rupiah(p.amountDue) }),
      el("td", { class: "num", text: rupiah(p.paidAmount) }),
      el("td", {}, [el("span", { class: statusClass(p.status), text: p.status })]),
    ]);
  }

  function renderDetail(loan) {
    var box = $("detail");
    if (!loan) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.dataset.loanId = loan.id;
    $("detail-id").textContent = loan.id.slice(0, 8);
    $("detail-id").title = loan.id;
    $("detail-customer").textContent = (loan.customer && loan.customer.fullName) || "";
    $("detail-status").className = statusClass(loan.status);
    $("detail-status").textContent = loan.status;
    Array.prototype.forEach.call(box.querySelectorAll("dd[data-field]"), function (dd) {
      var f = dd.getAttribute("data-field");
      dd.textContent = f === "daysPastDue" ? String(loan[f]) : "Rp " + rupiah(loan[f]);
    });
    var txs = loan.transactions.nodes;
    var tbody = $("transactions").querySelector("tbody");
    tbody.replaceChildren.apply(tbody, txs.map(transactionRow));
    $("transactions-empty").hidden = txs.length > 0;
    $("tx-count").textContent = loan.transactions.totalCount > txs.length ? "(newest " + txs.length + " of " + loan.transactions.totalCount + ")" : "";
    var ibody = $("installments").querySelector("tbody");
    ibody.replaceChildren.apply(ibody, loan.payments.map(installmentRow));
  }

  function markSelected() {
    Array.prototype.forEach.call($("loans").querySelectorAll("tbody tr"), function (tr) {
      tr.classList.toggle("selected", tr.getAttribute("data-loan-id") === state.detailId);
    });
  }

  /** Reads the open loan again (after a click, a refresh, or one of its status changes). */
  function loadDetail() {
    var id = state.detailId;
    if (!id || !state.token) return Promise.resolve();
    var seq = ++state.detailSeq;
    return gql(LOAN_DETAIL, { id: id }).then(
      function (data) {
        if (seq !== state.detailSeq || id !== state.detailId) return;
        if (!data.loan) {
          closeDetail();
          showError("That loan is not visible with this token.");
          return;
        }
        renderDetail(data.loan);
      },
      function (err) {
        if (seq === state.detailSeq) showError("Loan " + id.slice(0, 8) + ": " + err.message);
      },
    );
  }

  function openDetail(id) {
    state.detailId = id;
    markSelected();
    return loadDetail();
  }

  function closeDetail() {
    state.detailId = null;
    state.detailSeq++;
    renderDetail(null);
    markSelected();
  }

  // ---------- data ----------

  function loanFilter() {
    return state.filter ? { status: [state.filter] } : null;
  }

  /** The current page of the loans table (the `after` cursor on top of state.afters). */
  function loadPage() {
    var seq = ++state.listSeq;
    var after = state.afters[state.afters.length - 1];
    return gql(LOANS, { first: PAGE_SIZE, after: after, filter: loanFilter() }).then(function (data) {
      if (seq !== state.listSeq) return;
      state.loans = new Map();
      state.order = data.loans.nodes.map(function (l) {
        state.loans.set(l.id, l);
        return l.id;
      });
      state.pageInfo = data.loans.pageInfo;
      state.total = data.loans.totalCount;
      renderLoans(data.loans.totalCount);
    });
  }

  function loadSummary() {
    return gql(SUMMARY, { partnerId: state.partnerId }).then(function (d) {
      renderSummary(d.portfolioSummary);
    });
  }

  function jakartaToday(offsetDays) {
    return new Date(Date.now() + 7 * 3600000 + (offsetDays || 0) * 86400000).toISOString().slice(0, 10);
  }

  /** The chosen period's money per day; a refused period (e.g. over 366 days) says why. */
  function loadSeries() {
    var from = $("series-from").value;
    var to = $("series-to").value;
    var seq = ++state.seriesSeq;
    if (!from || !to) {
      $("series-error").textContent = "Choose both dates.";
      $("series-error").hidden = false;
      return Promise.resolve();
    }
    return gql(SERIES, { partnerId: state.partnerId, from: from, to: to }).then(
      function (d) {
        if (seq !== state.seriesSeq) return;
        $("series-error").hidden = true;
        renderSeries(d.portfolioSeries);
      },
      function (err) {
        if (seq !== state.seriesSeq) return;
        $("series-error").textContent = err.message;
        $("series-error").hidden = false;
      },
    );
  }

  /** The first page, the totals and the period's series. */
  function loadLoans() {
    return Promise.all([loadPage(), loadSummary(), loadSeries()]);
  }

  /** Totals and series change with status changes; refetch them at most once a second. */
  function refreshSummarySoon() {
    if (state.summaryTimer) return;
    state.summaryTimer = setTimeout(function () {
      state.summaryTimer = null;
      if (!state.token) return;
      loadSummary().catch(function () {});
      loadSeries();
    }, 1000);
  }

  // ---------- CSV ----------

  /** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; quotes doubled. */
  function csvField(value) {
    var s = value === null || value === undefined ? "" : String(value);
    // A text cell a spreadsheet would run as a formula starts with a quote mark instead.
    if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+$/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  var CSV_COLUMNS = [
    ["loan_id", "id"],
    ["customer", "customer"],
    ["status", "status"],
    ["days_past_due", "daysPastDue"],
    ["outstanding_amount", "outstandingAmount"],
    ["principal", "principal"],
  ];

  /** Every loan matching the status filter (all pages, in the table's order), as CSV text. */
  function loansCsv() {
    var rows = [];
    function page(after) {
      return gql(LOANS, { first: EXPORT_PAGE_SIZE, after: after, filter: loanFilter() }).then(function (data) {
        data.loans.nodes.forEach(function (l) {
          rows.push(l);
        });
        if (data.loans.pageInfo.hasNextPage) return page(data.loans.pageInfo.endCursor);
      });
    }
    return page(null).then(function () {
      var lines = [
        CSV_COLUMNS.map(function (c) {
          return c[0];
        }).join(","),
      ];
      rows.forEach(function (l) {
        lines.push(
          CSV_COLUMNS.map(function (c) {
            // Money as plain digits (rupiah, no separators), as the API sends it.
            return csvField(c[1] === "customer" ? l.customer && l.customer.fullName : l[c[1]]);
          }).join(","),
        );
      });
      return { text: lines.join("\r\n") + "\r\n", count: rows.length };
    });
  }

  function exportCsv() {
    var button = $("export-csv");
    button.disabled = true;
    return loansCsv()
      .then(function (csv) {
        // A byte order mark so spreadsheet programs read the names as UTF-8.
        var blob = new Blob(["\ufeff" + csv.text], { type: "text/csv;charset=utf-8" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "loans-" + (state.partnerCode || "all") + "-" + (state.filter || "all") + "-" + jakartaToday(0) + ".csv";
        document.body.appendChild(a);
        a.click();
        setTimeout(function () {
          URL.revokeObjectURL(a.href);
          a.remove();
        }, 1000);
        button.title = "Exported " + csv.count + " loans";
      })
      .catch(function (err) {
        showError("CSV export: " + err.message);
      })
      .then(function () {
        renderPager();
      });
  }

  // ---------- live ----------

  function stopLive() {
    state.generation++;
    if (state.retryTimer) clearTimeout(state.retryTimer);
    state.retryTimer = null;
    if (state.unsubscribe) state.unsubscribe();
    state.unsubscribe = null;
    if (state.client) state.client.dispose();
    state.client = null;
  }

  function retryLater() {
    var gen = state.generation;
    var delay = state.retryDelay;
    state.retryDelay = Math.min(state.retryDelay * 2, 30000);
    setConn("reconnecting", "reconnecting in " + Math.round(delay / 1000) + " s");
    state.retryTimer = setTimeout(function () {
      if (gen !== state.generation) return;
      // Fresh rows first, then resume from the saved cursor (replaying what was missed).
      loadLoans().then(
        function () {
          if (gen === state.generation) startLive();
        },
        function () {
          if (gen === state.generation) retryLater();
        },
      );
    }, delay);
  }

  function startLive() {
    stopLive();
    var gen = state.generation;
    setConn("connecting");
    var client = window.graphqlWs.createClient({
      url: WS_URL,
      lazy: false,
      retryAttempts: 0, // reconnects are ours: each one resumes from the latest saved cursor
      keepAlive: 15000,
      connectionParams: { authorization: "Bearer " + state.token },
      on: {
        connected: function () {
          if (gen !== state.generation) return;
          state.retryDelay = 1000;
          setConn("live");
        },
      },
    });
    state.client = client;
    state.unsubscribe = client.subscribe(
      { query: WATCH, variables: { partnerId: state.partnerId, after: savedCursor() } },
      {
        next: function (result) {
          if (gen !== state.generation) return;
          if (result.errors && result.errors.length) {
            showError("Subscription error: " + result.errors[0].message);
            return;
          }
          var e = result.data && result.data.loanStatusChanged;
          if (!e) return;
          window.localStorage.setItem(cursorKey(), e.cursor);
          showCursor();
          updateLoan(e.loan);
          addEvent(e);
          refreshSummarySoon();
          if (e.loan.id === state.detailId) loadDetail();
        },
        error: function (err) {
          if (gen !== state.generation) return;
          onLiveError(err);
        },
        complete: function () {
          if (gen !== state.generation) return;
          retryLater();
        },
      },
    );
  }

  function onLiveError(err) {
    if (Array.isArray(err)) {
      // GraphQL errors from the server.
      var e = err[0] || {};
      var code = e.extensions && e.extensions.code;
      if (code === "BAD_USER_INPUT" && savedCursor()) {
        // The saved cursor is not usable (e.g. from another server): go on live without it.
        window.localStorage.removeItem(cursorKey());
        showCursor();
        showError("The saved cursor was refused; watching live from now on.");
        startLive();
        return;
      }
      if (code === "UNAUTHENTICATED") {
        stopLive();
        setConn("off", "offline");
        showError("The token expired or is invalid: paste a new one.");
        return;
      }
      showError("Subscription error: " + (e.message || code));
      retryLater();
      return;
    }
    if (err && err.code === 4403) {
      stopLive();
      setConn("off", "offline");
      showError("The server refused the token, or it expired: paste a valid one.");
      return;
    }
    retryLater(); // connection lost: resume from the saved cursor
  }

  // ---------- session ----------

  function signOut() {
    stopLive();
    state.token = null;
    state.partnerId = null;
    window.sessionStorage.removeItem(TOKEN_KEY);
    state.partnerCode = null;
    state.loans = new Map();
    state.order = [];
    state.afters = [null];
    state.pageInfo = null;
    state.total = 0;
    renderLoans();
    $("loans-count").textContent = "";
    renderSummary(null);
    renderSeries([]);
    closeDetail();
    $("events").replaceChildren();
    $("events-empty").hidden = false;
    $("who").textContent = "not connected";
    $("signout").hidden = true;
    setConn("off", "offline");
    showCursor();
  }

  function connect(token) {
    stopLive();
    closeDetail(); // another token may not see it
    showError("");
    state.token = token.trim().replace(/^Bearer\s+/i, "");
    setConn("connecting");
    return gql(ME)
      .then(function (data) {
        var me = data.me;
        if (!me || (me.role !== "PARTNER" && me.role !== "ADMIN")) {
          throw new Error("This dashboard needs a PARTNER (or ADMIN) token" + (me ? ", not " + me.role : ""));
        }
        state.partnerId = me.partner ? me.partner.id : null;
        state.partnerCode = me.partner ? me.partner.code : null;
        state.afters = [null];
        window.sessionStorage.setItem(TOKEN_KEY, state.token);
        $("who").textContent = me.partner ? me.partner.name + " (" + me.partner.code + ")" : "ADMIN: every partner";
        $("signout").hidden = false;
        showCursor();
        return loadLoans();
      })
      .then(function () {
        startLive();
      })
      .catch(function (err) {
        setConn("off", "offline");
        showError(err.message);
      });
  }

  $("token-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    connect($("token").value);
  });
  $("signout").addEventListener("click", signOut);
  $("loans").querySelector("tbody").addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr[data-loan-id]");
    if (tr) openDetail(tr.getAttribute("data-loan-id"));
  });
  $("page-next").addEventListener("click", function () {
    if (!state.pageInfo || !state.pageInfo.hasNextPage) return;
    state.afters.push(state.pageInfo.endCursor);
    loadPage().catch(function (err) {
      state.afters.pop();
      showError(err.message);
    });
  });
  $("page-prev").addEventListener("click", function () {
    if (state.afters.length < 2) return;
    state.afters.pop();
    loadPage().catch(function (err) {
      showError(err.message);
    });
  });
  $("status-filter").addEventListener("change", function () {
    state.filter = $("status-filter").value;
    state.afters = [null];
    if (state.token)
      loadPage().catch(function (err) {
        showError(err.message);
      });
  });
  $("export-csv").addEventListener("click", exportCsv);
  ["series-from", "series-to"].forEach(function (id) {
    $(id).addEventListener("change", function () {
      if (state.token) loadSeries();
    });
  });
  $("detail-close").addEventListener("click", closeDetail);
  $("detail-refresh").addEventListener("click", loadDetail);
  $("forget-cursor").addEventListener("click", function () {
    window.localStorage.removeItem(cursorKey());
    showCursor();
    if (state.token) startLive();
  });
  if (config.demoToken) {
    // Development only, and only for a page opened on the gateway's machine as localhost or
    // 127.0.0.1: the gateway mints a PARTNER token for its first partner. Elsewhere the button
    // stays hidden and /dashboard/demo-token is 404: paste a token.
    $("demo").hidden = false;
    $("demo").addEventListener("click", function () {
      fetch("/dashboard/demo-token")
        .then(function (res) {
          return res.json().then(
            function (body) {
              if (!body.token && res.status === 404 && body.error === "Not found") {
                throw new Error(NO_DEMO_TOKEN);
              }
              return body;
            },
            function () {
              throw new Error(NO_DEMO_TOKEN);
            },
          );
        })
        .then(function (body) {
          if (!body.token) throw new Error(body.error || "No demo partner");
          $("token").value = body.token;
          return connect(body.token);
        })
        .catch(function (err) {
          showError(err.message);
        });
    });
  }

  $("series-to").value = jakartaToday(0);
  $("series-from").value = jakartaToday(-29);
  $("charts-missing").hidden = chartsAvailable();
  renderSummary(null);
  renderSeries([]);
  renderPager();
  showCursor();
  var saved = window.sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    $("token").value = saved;
    connect(saved);
  }
})();
