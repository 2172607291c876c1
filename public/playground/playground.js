/*
 * The admin playground: GraphiQL (served from node_modules by the gateway) with
 *  - a fetcher that sends queries and mutations over HTTP POST /graphql with the headers of the
 *    Headers editor, and subscriptions over graphql-ws (ws://<this host>/graphql) with the
 *    Authorization header as connectionParams.authorization;
 *  - an "Examples" panel (examples.js) that opens each example operation in a tab.
 * No request leaves this host.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("page-config").textContent || "{}");
  var examples = window.PLAYGROUND_EXAMPLES || [];
  var React = window.React;
  var h = React.createElement;
  var GraphQL = window.GraphiQL.GraphQL;

  var httpUrl = new URL("/graphql", window.location.href).toString();
  var wsUrl = httpUrl.replace(/^http/, "ws");
  var defaultHeaders = config.headers ? JSON.stringify(config.headers, null, 2) : "";

  // A token comes with the page only in development and only when it was opened on this
  // machine as localhost / 127.0.0.1 / [::1] (src/server/static.ts); otherwise paste one.
  document.getElementById("env-note").textContent = config.headers
    ? "development: the Headers tab holds a fresh ADMIN token (1 h)"
    : config.development
      ? 'paste {"Authorization": "Bearer <token>"} into the Headers tab (npm start prints an ADMIN token; one is prefilled only on the gateway\'s machine, at localhost or 127.0.0.1)'
      : 'paste {"Authorization": "Bearer <token>"} into the Headers tab (an ADMIN token also unlocks the schema docs: then press ↻ re-fetch)';

  function headerValue(headers, name) {
    var wanted = name.toLowerCase();
    for (var key in headers) {
      if (Object.prototype.hasOwnProperty.call(headers, key) && key.toLowerCase() === wanted) return headers[key];
    }
    return undefined;
  }

  function isSubscription(params, documentAST) {
    var doc = documentAST;
    if (!doc) {
      try {
        doc = GraphQL.parse(params.query);
      } catch (e) {
        return false;
      }
    }
    var op = GraphQL.getOperationAST(doc, params.operationName || undefined);
    return !!op && op.operation === "subscription";
  }

  // One lazy graphql-ws client per Authorization value (it closes when its last subscription ends).
  var wsClients = {};
  function wsClientFor(authorization) {
    var key = authorization || "";
    if (!wsClients[key]) {
      wsClients[key] = window.graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        retryAttempts: 0,
        connectionParams: authorization ? { authorization: authorization } : {},
      });
    }
    return wsClients[key];
  }

  function describeError(err) {
    if (Array.isArray(err)) return err; // GraphQL errors sent by the server
    if (err && typeof err.code === "number") {
      // A CloseEvent: 4403 = the token was refused or expired, 4400 = bad message, 1006 = connection lost.
      var msg = "WebSocket closed: " + err.code + (err.reason ? " " + err.reason : "");
      if (err.code === 4403) msg += " (the Authorization token was refused, or has expired)";
      return [{ message: msg }];
    }
    return [{ message: (err && err.message) || String(err) }];
  }

  /** A subscription as an async iterable of results (what GraphiQL renders, event by event). */
  function subscribe(client, params) {
    var queue = [];
    var waiting = null;
    var done = false;
    function push(item) {
      if (waiting) {
        var w = waiting;
        waiting = null;
        w(item);
      } else queue.push(item);
    }
    var dispose = client.subscribe(
      { query: params.query, variables: params.variables || undefined, operationName: params.operationName || undefined },
      {
        next: function (result) {
          push({ value: result, done: false });
        },
        error: function (err) {
          push({ value: { errors: describeError(err) }, done: false });
          push({ value: undefined, done: true });
        },
        complete: function () {
          push({ value: undefined, done: true });
        },
      },
    );
    var iterator = {
      next: function () {
        if (done) return Promise.resolve({ value: undefined, done: true });
        if (queue.length) {
          var item = queue.shift();
          if (item.done) done = true;
          return Promise.resolve(item);
        }
        return new Promise(function (resolve) {
          waiting = function (item) {
            if (item.done) done = true;
            resolve(item);
          };
        });
      },
      return: function () {
        done = true;
        dispose();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
    iterator[Symbol.asyncIterator] = function () {
      return iterator;
    };
    return iterator;
  }

  function fetcher(params, opts) {
    var headers = (opts && opts.headers) || {};
    if (isSubscription(params, opts && opts.documentAST)) {
      return subscribe(wsClientFor(headerValue(headers, "authorization")), params);
    }
    return fetch(httpUrl, {
      method: "POST",
      headers: Object.assign({ "content-type": "application/json", accept: "application/json" }, headers),
      body: JSON.stringify(params),
    }).then(function (res) {
      return res.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (e) {
          return { errors: [{ message: "HTTP " + res.status + ": " + text.slice(0, 500) }] };
        }
      });
    });
  }

  function variablesText(v) {
    if (v === undefined || v === null || v === "") return "";
    return typeof v === "string" ? v : JSON.stringify(v, null, 2);
  }

  // The "Examples" sidebar panel: a click opens the example in its own tab (or shows it again).
  function ExamplesPanel() {
    var editor = window.GraphiQL.React.useEditorContext({ nonNull: true });
    function open(example) {
      var query = example.query;
      var variables = variablesText(example.variables);
      var existing = editor.tabs.findIndex(function (t) {
        return t.query === query;
      });
      if (existing >= 0) {
        editor.changeTab(existing);
        return;
      }
      editor.addTab();
      // The new tab's editors exist after React rendered it.
      setTimeout(function () {
        if (editor.queryEditor) editor.queryEditor.setValue(query);
        if (editor.variableEditor) editor.variableEditor.setValue(variables);
      }, 0);
    }
    var groups = [];
    examples.forEach(function (ex) {
      var g = groups.find(function (x) {
        return x.name === ex.group;
      });
      if (!g) groups.push((g = { name: ex.group, items: [] }));
      g.items.push(ex);
    });
    return h(
      "div",
      { className: "examples" },
      h("div", { className: "graphiql-doc-explorer-title" }, "Examples"),
      h("p", { className: "hint" }, "Click one to open it in a tab. Ids to copy are named in each operation's comments."),
      groups.map(function (g) {
        return h(
          "section",
          { key: g.name },
          h("h3", null, g.name),
          h(
            "ul",
            null,
            g.items.map(function (ex) {
              return h("li", { key: ex.title }, h("button", { type: "button", "data-example": ex.title, onClick: function () { open(ex); } }, ex.title));
            }),
          ),
        );
      }),
    );
  }

  function ExamplesIcon() {
    return h(
      "svg",
      { width: 20, height: 20, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 1.5, "aria-hidden": "true" },
      h("path", { d: "M4 5h16M4 10h16M4 15h10M4 20h7" }),
    );
  }

  var examplesPlugin = { title: "Examples", icon: ExamplesIcon, content: ExamplesPanel };

  // Tabs are kept in localStorage under this page's own namespace; headers (tokens) are not.
  var storage = window.GraphiQL.createLocalStorage({ namespace: "lending-playground" });

  // Development: a tab restored from storage has no headers; give it the page's fresh token
  // when it becomes active (new tabs get it as defaultHeaders, the first one as headers).
  function onTabChange(tabState) {
    if (!defaultHeaders) return;
    var tab = tabState.tabs[tabState.activeTabIndex];
    if (tab && tab.headers) return;
    setTimeout(function () {
      var el = document.querySelectorAll(".graphiql-editor-tool .CodeMirror")[1];
      var editor = el && el.CodeMirror; // CodeMirror 5 keeps its instance on its element
      if (editor && !editor.getValue().trim()) editor.setValue(defaultHeaders);
    }, 0);
  }

  var welcome = examples[0];
  var root = window.ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    h(window.GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      onTabChange: onTabChange,
      plugins: [examplesPlugin],
      visiblePlugin: examplesPlugin,
      defaultEditorToolsVisibility: "headers",
      defaultHeaders: defaultHeaders,
      headers: defaultHeaders || undefined,
      defaultQuery: welcome ? welcome.query : undefined,
      defaultTabs: welcome ? [{ query: welcome.query, variables: variablesText(welcome.variables), headers: defaultHeaders }] : undefined,
      shouldPersistHeaders: false,
    }),
  );
})();
