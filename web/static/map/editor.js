/*
 * Park land ledger — the change-set editor of a park's map (园区用地台账 地图编辑).
 *
 * maps/builder.py loads this file on a park's map page served to an editor, approver or
 * admin (not on a saved file), and puts `config.editor` (service/editing/page.py) into the
 * map's config. Nothing starts it from the page: once the document is read it finds the
 * map (`window.plm`, made by plm.js), asks GET /api/session who is signed in (and the
 * session's CSRF token) and, for a role that may propose whose parks include this one,
 * puts the 编辑 (edit) panel beside the map.
 *
 * The official selects parcels (a click on the map, Shift or Ctrl for more; or the list,
 * with Tab and Enter), builds a draft change set out of operations — rezone, set status,
 * supply, retire, split by a drawn line, merge, reshape by moving vertices, register a
 * drawn parcel — and after every change to the draft the page asks the service what
 * committing it would do (POST /api/change-sets/dry-run): the verdict, the city's and the
 * park's manufacturing land before and after, the targets, a refusal's shortfall and the
 * parcels that could compensate it. 提交审核 sends the draft as a proposal
 * (POST /api/proposals) for an approver. Geometry goes to the service in the storage CRS
 * as the helpers (/api/geometry/split, /api/geometry/snap) gave it back, every digit kept.
 *
 * No inline script or handler (the pages' Content-Security-Policy): every listener is
 * added here. Text from the data goes into the page as text, never as markup. Labels are
 * Chinese with the English in their title attributes.
 */
(function (root) {
    "use strict";
    var L = root.L;
    var doc = root.document;
    var EDIT_ROLES = {editor: true, approver: true, admin: true};
    var ROLE_NAMES = {editor: "编辑员", approver: "审批员", admin: "管理员"};
    // The dry run starts on the next turn of the event loop: the edits of one action (a
    // tool applied to several parcels) make one request; a slower edit its own, at once.
    var DRY_RUN_DELAY_MS = 0;
    var LIST_LIMIT = 200;
    var PREVIEW_REASON = "草稿预览 draft preview";
    var STYLE = {
        selected: {color: "#7c3aed", weight: 4, opacity: 1, fill: true, fillColor: "#7c3aed",
            fillOpacity: 0.12, interactive: false},
        after: {color: "#c2410c", weight: 2.5, opacity: 1, dashArray: "6 4", fill: true,
            fillColor: "#f97316", fillOpacity: 0.12, interactive: false},
        parts: {color: "#0e7490", weight: 3, opacity: 1, fill: true, fillColor: "#22d3ee",
            fillOpacity: 0.25, interactive: false},
        drawing: {color: "#c2410c", weight: 3, opacity: 1, dashArray: "6 4", fill: false},
        editing: {color: "#7c3aed", weight: 3, opacity: 1, fill: true, fillOpacity: 0.1}
    };
    var TOOLS = [
        // [tool, label, title, selection needed: "some" | "one" | "many" | "none"]
        ["rezone", "改变用途", "Rezone: change the land-use class of the selected parcels", "some"],
        ["set_status", "设置状态", "Set status of the selected parcels", "some"],
        ["supply", "供地", "Supply the selected parcels to a holder", "some"],
        ["retire", "注销", "Retire the selected parcels", "some"],
        ["split", "分割", "Split: draw a line across the selected parcel", "one"],
        ["merge", "合并", "Merge the selected neighbouring parcels into a new parcel", "many"],
        ["reshape", "修改边界", "Reshape: move the vertices of the selected parcel", "one"],
        ["register", "新增", "Register a new parcel by drawing it", "none"]
    ];
    var OP_NAMES = {
        rezone: "改变用途", set_status: "设置状态", supply: "供地", retire: "注销",
        split: "分割", merge: "合并", reshape: "修改边界", register: "新增"
    };
    var VERDICTS = {
        would_commit: ["可以提交", "Would commit: the change set keeps the rule"],
        refused_by_rule: ["将被拒绝", "Would be refused: manufacturing land would decrease"],
        invalid: ["无效", "Invalid: an operation cannot be applied"]
    };

    // --- small helpers -------------------------------------------------------------------

    /** An element: attributes (`text` sets its text, `on` its listeners), then children. */
    function h(tag, attrs, children) {
        var el = doc.createElement(tag);
        Object.keys(attrs || {}).forEach(function (key) {
            var value = attrs[key];
            if (value === null || value === undefined || value === false) { return; }
            if (key === "text") {
                el.textContent = String(value);
            } else if (key === "on") {
                Object.keys(value).forEach(function (type) { el.addEventListener(type, value[type]); });
            } else if (key === "class") {
                el.className = value;
            } else {
                el.setAttribute(key, value === true ? "" : String(value));
            }
        });
        (children || []).forEach(function (child) {
            if (child === null || child === undefined || child === false) { return; }
            el.appendChild(typeof child === "string" ? doc.createTextNode(child) : child);
        });
        return el;
    }

    function button(label, title, onClick, cls) {
        return h("button", {type: "button", title: title, class: cls || null, on: {click: onClick}},
            [label]);
    }

    /** *template* with each {name} replaced by *values*' encoded value (a function as the
     * replacement: "$&" in a replacement string would be special). */
    function fill(template, values) {
        return template.replace(/\{(\w+)\}/g, function (whole, name) {
            return Object.prototype.hasOwnProperty.call(values, name)
                ? encodeURIComponent(values[name]) : whole;
        });
    }

    function clear(el) {
        while (el.firstChild) { el.removeChild(el.firstChild); }
        return el;
    }

    // A number or null, and a number written with its digits: the map's own (plm.js).
    function num(value) { return root.PLM.num(value); }

    function fmt(n, digits) { return root.PLM.fmt(n, digits); }

    function signed(n, digits) {
        return (n > 0 ? "+" : "") + fmt(n, digits);
    }

    function field(label, title, input) {
        return h("label", {class: "plm-ed-field", title: title}, [h("span", {text: label}), input]);
    }

    function select(options, value, title) {
        var el = h("select", {title: title});
        options.forEach(function (o) {
            el.appendChild(h("option", {value: o[0], title: o[2] || null, selected: o[0] === value},
                [o[1]]));
        });
        return el;
    }

    function mark(name, value) {
        // State the tests and the console can read without parsing the panel.
        if (value === null || value === undefined) {
            doc.documentElement.removeAttribute("data-plm-" + name);
        } else {
            doc.documentElement.setAttribute("data-plm-" + name, String(value));
        }
    }

    // --- the editor ----------------------------------------------------------------------

    function Editor(plm, cfg, session) {
        this.plm = plm;
        this.map = plm.map;
        this.cfg = cfg;
        this.links = cfg.links || {};
        this.session = session;
        this.m2PerMu = cfg.m2PerMu;
        this.selected = [];          // parcel codes, in the order they were picked
        this.known = {};             // code -> {props, geometry (EPSG:4326) or null}
        this.draft = [];             // [{op, label}]
        this.tool = null;            // the tool whose form is open
        this.busy = null;            // a drawing or an edit under way: {handler | layer}
        this.dryRunSeq = 0;
        this.lastVerdict = null;
        this.map.createPane("plmEditor");
        this.map.getPane("plmEditor").style.zIndex = 450;  // above the parcels, below markers
        this.map.getPane("plmEditor").style.pointerEvents = "none";
        this.selectionLayer = L.geoJSON(null, {pane: "plmEditor", style: function () { return STYLE.selected; }})
            .addTo(this.map);
        this.previewLayer = L.geoJSON(null, {pane: "plmEditor", style: function () { return STYLE.after; }})
            .addTo(this.map);
        this.workLayer = L.featureGroup().addTo(this.map);
        this.build();
        this.listen();
        this.setSelectMode(true);
        this.refresh();
        mark("editor", "ready");
    }

    Editor.prototype.mu = function (m2) {
        return m2 / this.m2PerMu;
    };

    Editor.prototype.area = function (m2) {
        var n = num(m2);
        return n === null ? "—" : fmt(n, 1) + " m²（" + fmt(this.mu(n), 2) + " 亩）";
    };

    Editor.prototype.className = function (code) {
        var c = (this.cfg.classes || []).filter(function (k) { return k.code === code; })[0];
        return c ? code + " " + c.zh : String(code);
    };

    Editor.prototype.statusName = function (code) {
        var s = (this.cfg.statuses || []).filter(function (k) { return k[0] === code; })[0];
        return s ? s[1] : String(code);
    };

    // --- the panel -----------------------------------------------------------------------

    Editor.prototype.build = function () {
        var self = this, s = this.session;
        var logout = h("form", {method: "post", action: this.links.logout || "/logout", class: "plm-ed-logout"}, [
            h("input", {type: "hidden", name: "csrf_token", value: s.csrf_token || ""}),
            h("button", {type: "submit", title: "Sign out"}, ["退出"])
        ]);
        this.collapseButton = button("收起", "Hide the edit panel", function () { self.toggle(); },
            "plm-ed-collapse");
        this.collapseButton.setAttribute("aria-expanded", "true");
        this.collapseButton.setAttribute("aria-controls", "plm-editor-body");
        var head = h("header", {class: "plm-ed-head"}, [
            h("h2", {title: "Edit: a draft change set, checked before it is submitted", text: "编辑"}),
            h("span", {class: "plm-ed-user", title: "Signed in as " + s.user + " (" + s.role + ")",
                text: s.user + "（" + (ROLE_NAMES[s.role] || s.role) + "）"}),
            s.via === "session" ? logout : null,
            this.collapseButton
        ]);

        // Selection.
        this.filter = h("input", {type: "search", class: "plm-ed-filter", autocomplete: "off",
            placeholder: "地块编号", title: "Parcel code: type to filter the list; Enter selects it"});
        this.list = h("ul", {class: "plm-ed-list", "aria-label": "地块 Parcels"});
        this.selectionBox = h("div", {class: "plm-ed-selection", "aria-live": "polite"});
        this.selectModeButton = button("点选", "Select mode: a click on the map selects parcels " +
            "(Shift or Ctrl adds more); off, a click shows the parcel's popup",
            function () { self.setSelectMode(!self.selectMode); }, "plm-ed-mode");
        var selectSection = h("section", {class: "plm-ed-select"}, [
            h("h3", {title: "Select parcels"}, ["选择地块 ", this.selectModeButton]),
            h("p", {class: "plm-ed-hint", title: "Click parcels on the map; Shift or Ctrl adds more. " +
                "Or Tab to the list and press Enter.",
                text: "在地图上点击地块，Shift 或 Ctrl 多选；或在列表中按 Tab、Enter 选择。"}),
            field("查找", "Find a parcel by its code", this.filter),
            this.list,
            this.selectionBox
        ]);

        // Tools.
        this.toolButtons = {};
        var buttons = h("div", {class: "plm-ed-tools", role: "group", "aria-label": "操作 Operations"});
        TOOLS.forEach(function (t) {
            var b = button(t[1], t[2], function () { self.openTool(t[0]); }, "plm-ed-tool");
            b.setAttribute("data-plm-ed-tool", t[0]);
            self.toolButtons[t[0]] = b;
            buttons.appendChild(b);
        });
        this.form = h("div", {class: "plm-ed-form", hidden: true, "aria-live": "polite"});
        var toolSection = h("section", {class: "plm-ed-ops-section"}, [
            h("h3", {title: "Operations", text: "操作"}), buttons, this.form
        ]);

        // Draft.
        this.draftList = h("ol", {class: "plm-ed-draft"});
        this.clearDraftButton = button("清空草稿", "Empty the draft", function () {
            self.draft = [];
            self.draftChanged();
        });
        var draftSection = h("section", {class: "plm-ed-draft-section"}, [
            h("h3", {title: "Draft change set: each operation can be removed", text: "草稿"}),
            this.draftList, this.clearDraftButton
        ]);

        // Preview.
        this.previewBox = h("div", {class: "plm-ed-preview", "aria-live": "polite"});
        var previewSection = h("section", {class: "plm-ed-preview-section"}, [
            h("h3", {title: "Preview: what committing the draft would do (nothing is stored)",
                text: "预览"}),
            this.previewBox
        ]);

        // Submit.
        this.reason = h("textarea", {rows: 2, class: "plm-ed-reason", maxlength: 2000,
            title: "Reason (required)"});
        this.documentNo = h("input", {type: "text", class: "plm-ed-docno", maxlength: 500,
            title: "Document number 批文号 (required)"});
        this.submitButton = button("提交审核", "Submit the draft for approval", function () {
            self.submit();
        }, "plm-ed-submit");
        this.submitResult = h("div", {class: "plm-ed-result", "aria-live": "polite"});
        [this.reason, this.documentNo].forEach(function (el) {
            el.addEventListener("input", function () { self.refreshSubmit(); });
        });
        var submitSection = h("section", {class: "plm-ed-submit-section"}, [
            h("h3", {title: "Submit for approval by an approver", text: "提交审核"}),
            field("理由", "Reason", this.reason),
            field("批文号", "Document number", this.documentNo),
            this.submitButton,
            this.submitResult
        ]);

        this.body = h("div", {class: "plm-ed-body", id: "plm-editor-body"}, [
            selectSection, toolSection, draftSection, previewSection, submitSection
        ]);
        this.panel = h("aside", {id: "plm-editor", class: "plm-editor", "aria-label": "编辑 Edit"},
            [head, this.body]);
        doc.body.appendChild(this.panel);
        this.map.getContainer().classList.add("plm-ed-map");
        doc.documentElement.classList.add("plm-ed-on");
        this.map.invalidateSize({pan: false});
    };

    Editor.prototype.toggle = function () {
        var collapsed = doc.documentElement.classList.toggle("plm-ed-collapsed");
        this.body.hidden = collapsed;
        this.collapseButton.textContent = collapsed ? "编辑" : "收起";
        this.collapseButton.title = collapsed ? "Show the edit panel" : "Hide the edit panel";
        this.collapseButton.setAttribute("aria-expanded", collapsed ? "false" : "true");
        this.map.invalidateSize({pan: false});
    };

    // --- parcels: which the page has, and picking them ---------------------------------------

    /** The parcels the page drew (embedded layers), by code. Tiled layers have none: their
     * parcels are found by a click or by typing a code. */
    Editor.prototype.pageParcels = function () {
        var out = {}, index = this.plm.index;
        Object.keys(index).forEach(function (id) {
            if (id.indexOf("parcels:") !== 0) { return; }
            var entry = index[id][0];
            out[entry.props.parcel_code] = {props: entry.props,
                geometry: entry.sub.feature ? entry.sub.feature.geometry : null};
        });
        return out;
    };

    Editor.prototype.renderList = function () {
        var self = this, parcels = this.pageParcels();
        var text = this.filter.value.trim().toUpperCase();
        var codes = Object.keys(parcels).sort().filter(function (code) {
            return !text || code.toUpperCase().indexOf(text) >= 0;
        });
        clear(this.list);
        codes.slice(0, LIST_LIMIT).forEach(function (code) {
            var p = parcels[code].props;
            var pressed = self.selected.indexOf(code) >= 0;
            var b = button(code, code + " · " + p.land_use_code + " · " + p.status + " · " +
                fmt(num(p.area_m2) || 0, 0) + " m² — Enter selects or deselects", function () {
                self.known[code] = parcels[code];
                self.toggleSelected(code);
                self.focusItem(code);
            }, "plm-ed-item");
            b.setAttribute("aria-pressed", pressed ? "true" : "false");
            b.setAttribute("data-plm-code", code);
            b.appendChild(h("small", {text: " " + p.land_use_code + " · " + self.statusName(p.status)}));
            self.list.appendChild(h("li", {}, [b]));
        });
        if (codes.length > LIST_LIMIT) {
            this.list.appendChild(h("li", {class: "plm-ed-more", text: "…共 " + codes.length + " 宗，请输入编号筛选",
                title: codes.length + " parcels: type a code to narrow the list"}));
        }
    };

    /** Keep the keyboard where it was: the list is drawn anew after every change. */
    Editor.prototype.focusItem = function (code) {
        var items = this.list.querySelectorAll("button[data-plm-code]");
        for (var i = 0; i < items.length; i++) {
            if (items[i].getAttribute("data-plm-code") === code) { items[i].focus(); return; }
        }
    };

    Editor.prototype.listen = function () {
        var self = this, map = this.map;
        this.filter.addEventListener("input", function () { self.renderList(); });
        this.filter.addEventListener("keydown", function (e) {
            if (e.key !== "Enter") { return; }
            e.preventDefault();
            var code = self.filter.value.trim();
            if (code) { self.pick(code, true); }
        });
        ["parcels_use", "parcels_status"].forEach(function (key) {
            var layer = self.plm.layers[key];
            if (!layer || layer.plmSpec.tiles) { return; }
            layer.on("click", function (e) {
                if (!self.selectMode || self.busy) { return; }
                var props = e.layer.feature && e.layer.feature.properties;
                if (!props) { return; }
                self.known[props.parcel_code] = {props: props, geometry: e.layer.feature.geometry};
                self.clickSelect(props.parcel_code, e.originalEvent);
            });
        });
        // Tiled parcels: ask the tiles under the click (plm.js opened its popup first).
        map.on("click", function (e) {
            if (!self.selectMode || self.busy) { return; }
            var hit = self.plm.hitTiles ? self.plm.hitTiles(e.latlng) : null;
            if (!hit || hit.kind !== "parcels" || hit.props.overview) { return; }
            map.closePopup();
            var code = hit.props.parcel_code;
            self.known[code] = self.known[code] || {props: hit.props, geometry: null};
            self.clickSelect(code, e.originalEvent);
        });
    };

    /** Popups are off while a click selects: the map stays where it is, nothing covers it. */
    Editor.prototype.setSelectMode = function (on) {
        var self = this;
        this.selectMode = on;
        this.selectModeButton.setAttribute("aria-pressed", on ? "true" : "false");
        ["parcels_use", "parcels_status"].forEach(function (key) {
            var layer = self.plm.layers[key];
            if (!layer || layer.plmSpec.tiles) { return; }
            layer.eachLayer(function (sub) {
                if (on && sub.getPopup()) {
                    sub._plmEdPopup = sub.getPopup();
                    sub.unbindPopup();
                } else if (!on && sub._plmEdPopup) {
                    sub.bindPopup(sub._plmEdPopup);
                    sub._plmEdPopup = null;
                }
            });
        });
        if (on) { this.map.closePopup(); }
    };

    Editor.prototype.clickSelect = function (code, event) {
        var more = event && (event.shiftKey || event.ctrlKey || event.metaKey);
        if (more) {
            this.toggleSelected(code);
        } else if (this.selected.length === 1 && this.selected[0] === code) {
            this.selected = [];
            this.selectionChanged();
        } else {
            this.selected = [code];
            this.selectionChanged();
        }
    };

    Editor.prototype.toggleSelected = function (code) {
        var i = this.selected.indexOf(code);
        if (i >= 0) { this.selected.splice(i, 1); } else { this.selected.push(code); }
        this.selectionChanged();
    };

    /** Select *code*: from the page's parcels, or (tiled maps, codes typed) from the API. */
    Editor.prototype.pick = function (code, add) {
        var self = this, parcels = this.pageParcels();
        if (parcels[code]) {
            this.known[code] = parcels[code];
            if (add) { this.toggleSelected(code); }
            return Promise.resolve(true);
        }
        return this.parcel(code).then(function (found) {
            if (!found) {
                self.say(self.selectionBox, "找不到地块 " + code, "No standing parcel " + code, true);
                return false;
            }
            if (add) { self.toggleSelected(code); }
            return true;
        });
    };

    /** The parcel *code* with its geometry (EPSG:4326, the API's precision), from the API. */
    Editor.prototype.parcel = function (code) {
        var self = this, url = fill(this.links.parcel, {code: code});
        return this.api("GET", url).then(function (res) {
            if (!res.ok || !res.body || !res.body.geometry) { return null; }
            self.known[code] = {props: res.body.properties, geometry: res.body.geometry, exact: true};
            return self.known[code];
        });
    };

    Editor.prototype.selectionChanged = function () {
        var self = this;
        this.selectionLayer.clearLayers();
        this.selected.forEach(function (code) {
            var k = self.known[code];
            if (k && k.geometry) {
                self.selectionLayer.addData({type: "Feature", geometry: k.geometry, properties: {code: code}});
            } else {
                self.parcel(code).then(function (found) {
                    if (found && self.selected.indexOf(code) >= 0) {
                        self.selectionLayer.addData({type: "Feature", geometry: found.geometry, properties: {code: code}});
                    }
                });
            }
        });
        mark("selected", this.selected.join(",") || null);
        if (this.tool && !this.busy) { this.closeTool(); }
        this.refresh();
    };

    Editor.prototype.renderSelection = function () {
        var self = this, total = 0;
        clear(this.selectionBox);
        if (!this.selected.length) {
            this.selectionBox.appendChild(h("p", {class: "plm-ed-hint", text: "未选择地块",
                title: "No parcel selected"}));
            return;
        }
        var chips = h("ul", {class: "plm-ed-chips"});
        this.selected.forEach(function (code) {
            var p = (self.known[code] || {}).props || {};
            total += num(p.area_m2) || 0;
            chips.appendChild(h("li", {}, [
                h("span", {title: p.land_use_code + " · " + p.status,
                    text: code + " · " + self.className(p.land_use_code) + " · " + self.statusName(p.status)}),
                button("×", "Deselect " + code, function () { self.toggleSelected(code); }, "plm-ed-x")
            ]));
        });
        this.selectionBox.appendChild(h("p", {title: "Selected parcels and their area",
            text: "已选 " + this.selected.length + " 宗 · " + this.area(total)}));
        this.selectionBox.appendChild(chips);
        this.selectionBox.appendChild(button("清除选择", "Deselect all", function () {
            self.selected = [];
            self.selectionChanged();
        }));
    };

    Editor.prototype.refresh = function () {
        var self = this, n = this.selected.length;
        TOOLS.forEach(function (t) {
            var need = t[3];
            var ok = need === "none" || (need === "some" && n >= 1) || (need === "one" && n === 1) ||
                (need === "many" && n >= 2);
            self.toolButtons[t[0]].disabled = !ok || !!self.busy;
            self.toolButtons[t[0]].setAttribute("aria-pressed", self.tool === t[0] ? "true" : "false");
        });
        this.renderSelection();
        this.renderList();
        this.renderDraft();
        this.refreshSubmit();
    };

    // --- tools ---------------------------------------------------------------------------

    Editor.prototype.closeTool = function () {
        this.stopWork();
        this.tool = null;
        this.form.hidden = true;
        clear(this.form);
        this.refresh();
    };

    Editor.prototype.openTool = function (tool) {
        this.stopWork();
        this.tool = tool;
        clear(this.form);
        this.form.hidden = false;
        this.form.setAttribute("data-plm-ed-form", tool);
        this["tool_" + tool]();
        this.refresh();
        var first = this.form.querySelector("input, select, textarea, button");
        if (first) { first.focus(); }
    };

    /** The form's buttons: 加入草稿 (add) and 取消 (cancel). */
    Editor.prototype.actions = function (onAdd, addLabel) {
        var self = this;
        return h("div", {class: "plm-ed-actions"}, [
            button(addLabel || "加入草稿", "Add to the draft", onAdd, "plm-ed-add"),
            button("取消", "Cancel", function () { self.closeTool(); })
        ]);
    };

    Editor.prototype.say = function (box, zh, en, bad) {
        var p = h("p", {class: bad ? "plm-ed-bad" : "plm-ed-hint", title: en, text: zh});
        var old = box.querySelector(".plm-ed-said");
        if (old) { old.remove(); }
        p.classList.add("plm-ed-said");
        box.appendChild(p);
        return p;
    };

    Editor.prototype.classOptions = function (withKeep) {
        var out = withKeep ? [["", "（不变）", "Keep the class"]] : [];
        (this.cfg.classes || []).forEach(function (c) {
            out.push([c.code, c.code + " " + c.zh + (c.mfg ? "（制造业）" : ""), c.en]);
        });
        return out;
    };

    Editor.prototype.statusOptions = function () {
        return (this.cfg.statuses || []).map(function (s) { return [s[0], s[1], s[2]]; });
    };

    Editor.prototype.tool_rezone = function () {
        var self = this, codes = this.selected.slice();
        var first = (this.known[codes[0]] || {}).props || {};
        var classes = select(this.classOptions(false), first.land_use_code, "Land-use class");
        this.form.appendChild(field("新用途", "New land-use class", classes));
        this.form.appendChild(this.actions(function () {
            codes.forEach(function (code) {
                self.add({op: "rezone", parcel_code: code, land_use_code: classes.value},
                    "改变用途 " + code + " → " + self.className(classes.value));
            });
            self.closeTool();
        }));
    };

    Editor.prototype.tool_set_status = function () {
        var self = this, codes = this.selected.slice();
        var statuses = select(this.statusOptions(), "ready", "Status");
        this.form.appendChild(field("新状态", "New status", statuses));
        this.form.appendChild(this.actions(function () {
            codes.forEach(function (code) {
                self.add({op: "set_status", parcel_code: code, status: statuses.value},
                    "设置状态 " + code + " → " + self.statusName(statuses.value));
            });
            self.closeTool();
        }));
    };

    Editor.prototype.tool_supply = function () {
        var self = this, codes = this.selected.slice();
        var holder = h("input", {type: "text", maxlength: 500, title: "Holder (required)"});
        var modes = select((this.cfg.supplyModes || []).map(function (m) { return [m[0], m[1], m[2]]; }),
            "grant", "Supply mode");
        var project = h("input", {type: "text", maxlength: 64, title: "Key project code (optional)"});
        this.form.appendChild(field("受让人", "Holder", holder));
        this.form.appendChild(field("方式", "Mode", modes));
        this.form.appendChild(field("项目编号", "Key project code (optional)", project));
        this.form.appendChild(h("p", {class: "plm-ed-hint", text: "供地日期：以批准生效之日为准。",
            title: "Supply date: the day the change set is approved and recorded"}));
        this.form.appendChild(this.actions(function () {
            if (!holder.value.trim()) {
                self.say(self.form, "请填写受让人", "The holder is required", true);
                holder.focus();
                return;
            }
            codes.forEach(function (code) {
                var op = {op: "supply", parcel_code: code, holder: holder.value.trim(), mode: modes.value};
                if (project.value.trim()) { op.project = project.value.trim(); }
                var mode = modes.options[modes.selectedIndex].textContent;
                self.add(op, "供地 " + code + " → " + op.holder + "（" + mode + "）");
            });
            self.closeTool();
        }));
    };

    Editor.prototype.tool_retire = function () {
        var self = this, codes = this.selected.slice();
        this.form.appendChild(h("p", {text: "注销所选 " + codes.length + " 宗地块：" + codes.join("、"),
            title: "Retire the selected parcels (their history remains)"}));
        this.form.appendChild(this.actions(function () {
            codes.forEach(function (code) { self.add({op: "retire", parcel_code: code}, "注销 " + code); });
            self.closeTool();
        }));
    };

    Editor.prototype.tool_merge = function () {
        var self = this, codes = this.selected.slice();
        var code = h("input", {type: "text", maxlength: 64, value: codes[0] + "-M",
            title: "Code of the merged parcel (required, never used before)"});
        var classes = select(this.classOptions(true), "", "Land-use class of the merged parcel");
        this.form.appendChild(h("p", {text: "合并 " + codes.join(" + "), title: "Merge these parcels"}));
        this.form.appendChild(field("新地块编号", "New parcel code", code));
        this.form.appendChild(field("用途", "Land-use class", classes));
        this.form.appendChild(this.actions(function () {
            var op = {op: "merge", parcel_codes: codes, parcel_code: code.value.trim()};
            if (!op.parcel_code) { self.say(self.form, "请填写新地块编号", "A new code is required", true); return; }
            if (classes.value) { op.land_use_code = classes.value; }
            self.add(op, "合并 " + codes.join(" + ") + " → " + op.parcel_code);
            self.closeTool();
        }));
    };

    // --- drawing and editing (leaflet-draw; touch works through it) ------------------------

    Editor.prototype.stopWork = function () {
        if (this.busy) {
            if (this.busy.handler) { this.busy.handler.disable(); }
            if (this.busy.layer && this.busy.layer.editing) { this.busy.layer.editing.disable(); }
            this.busy = null;
        }
        this.workLayer.clearLayers();
        mark("ed-busy", null);
    };

    /** Start drawing a *kind* ("polyline" or "polygon"); *done* gets the drawn layer. The
     * handler hands its shape to *done*, not to the map: the map's own draw-to-query
     * listens to the map's "created" events. */
    Editor.prototype.draw = function (kind, done) {
        var self = this;
        var local = L.drawLocal.draw.handlers;
        local.polyline.tooltip.start = "点击开始画线 Click to start the line";
        local.polyline.tooltip.cont = "点击继续 Click to continue";
        local.polyline.tooltip.end = "点「完成」结束 Press 完成 to finish";
        local.polygon.tooltip.end = "点起点或「完成」闭合 Click the first point or press 完成";
        var Handler = kind === "polyline" ? L.Draw.Polyline : L.Draw.Polygon;
        var handler = new Handler(this.map, {shapeOptions: STYLE.drawing, showLength: false,
            showArea: false, allowIntersection: false, repeatMode: false});
        var created = false;
        handler._fireCreatedEvent = function () {
            var shape = new this.Poly(this._poly.getLatLngs(), this.options.shapeOptions);
            created = true;
            root.setTimeout(function () { done(shape); }, 0);
        };
        handler.on("disabled", function () {
            if (self.busy && self.busy.handler === handler) {
                self.busy = null;
                mark("ed-busy", null);
                if (created) { self.refresh(); } else { self.closeTool(); }  // Escape: given up
            }
        });
        this.busy = {handler: handler};
        mark("ed-busy", kind);
        handler.enable();
        var bar = h("div", {class: "plm-ed-actions"}, [
            button("完成", "Finish the drawing", function () { handler.completeShape(); }, "plm-ed-finish"),
            button("撤销一点", "Delete the last point", function () { handler.deleteLastVertex(); }),
            button("取消", "Cancel", function () { self.closeTool(); })
        ]);
        this.form.appendChild(bar);
        return handler;
    };

    Editor.prototype.tool_split = function () {
        var self = this, code = this.selected[0];
        this.say(this.form, "在地图上画一条穿过地块 " + code + " 的线（从地块外到地块外），再点「完成」。",
            "Draw a line across parcel " + code + ", from outside it to outside it, then press 完成");
        this.draw("polyline", function (line) {
            self.workLayer.addLayer(line);
            clear(self.form);
            self.say(self.form, "正在分割…", "Splitting…");
            self.api("POST", self.links.split, {parcel_code: code, line: line.toGeoJSON().geometry})
                .then(function (res) {
                    if (!res.ok) {
                        clear(self.form);
                        self.say(self.form, self.message(res), "The split was refused", true);
                        self.form.appendChild(h("div", {class: "plm-ed-actions"}, [
                            button("重画", "Draw again", function () { self.openTool("split"); }),
                            button("取消", "Cancel", function () { self.closeTool(); })
                        ]));
                        return;
                    }
                    self.splitParts(code, res.body);
                });
        });
    };

    Editor.prototype.splitParts = function (code, body) {
        var self = this, inputs = [];
        clear(this.form);
        this.workLayer.clearLayers();
        var parent = num(body.area_m2) || 0, sum = 0;
        var rows = h("ol", {class: "plm-ed-parts"});
        body.parts.forEach(function (part, i) {
            sum += part.area_m2;
            L.geoJSON(part.geometry, {pane: "plmEditor", style: function () { return STYLE.parts; }})
                .bindTooltip(String(i + 1), {permanent: true, direction: "center", className: "plm-ed-label"})
                .addTo(self.workLayer);
            var input = h("input", {type: "text", maxlength: 64, value: code + "-" + (i + 1),
                title: "Code of part " + (i + 1) + " (editable)"});
            inputs.push(input);
            rows.appendChild(h("li", {}, [input, h("span", {class: "plm-ed-part-area",
                "data-area-m2": part.area_m2, text: " " + self.area(part.area_m2)})]));
        });
        this.form.appendChild(h("p", {title: "Parts of " + code + " and their areas",
            text: "分割 " + code + "（" + this.area(parent) + "）为 " + body.parts.length + " 块："}));
        this.form.appendChild(rows);
        this.form.appendChild(h("p", {class: "plm-ed-hint", title: "The parts add up to the parcel",
            text: "合计 " + this.area(sum)}));
        this.form.appendChild(this.actions(function () {
            var codes = inputs.map(function (input) { return input.value.trim(); });
            if (codes.some(function (c) { return !c; })) {
                self.say(self.form, "请填写每块的编号", "Every part needs a code", true);
                return;
            }
            self.add({
                op: "split", parcel_code: code, crs: body.crs_storage,
                parts: body.parts.map(function (part, i) {
                    return {parcel_code: codes[i], geometry: part.geometry_storage};
                })
            }, "分割 " + code + " → " + codes.join("、"));
            self.closeTool();
        }));
        mark("ed-split", body.parts.length);
    };

    Editor.prototype.tool_reshape = function () {
        var self = this, code = this.selected[0];
        this.say(this.form, "正在读取地块边界…", "Reading the parcel's boundary…");
        this.parcel(code).then(function (found) {
            if (self.tool !== "reshape") { return; }
            clear(self.form);
            if (!found) { self.say(self.form, "找不到地块 " + code, "No standing parcel " + code, true); return; }
            var g = found.geometry;
            if (g.type === "MultiPolygon" && g.coordinates.length !== 1) {
                self.say(self.form, "多块组成的地块请先分割再修改边界。",
                    "A parcel of several polygons cannot be reshaped here: split it first", true);
                return;
            }
            var rings = g.type === "MultiPolygon" ? g.coordinates[0] : g.coordinates;
            var layer = L.polygon(L.GeoJSON.coordsToLatLngs(rings, 1), STYLE.editing);
            self.workLayer.addLayer(layer);
            layer.editing.enable();
            self.busy = {layer: layer};
            mark("ed-busy", "reshape");
            self.refresh();
            self.say(self.form, "拖动顶点修改边界（拖动边中点可加点），再点「完成」。",
                "Drag the vertices (drag a midpoint to add one), then press 完成");
            self.form.appendChild(h("div", {class: "plm-ed-actions"}, [
                button("完成", "Finish the boundary", function () {
                    layer.editing.disable();
                    self.busy = null;
                    mark("ed-busy", null);
                    self.snapThen(layer.toGeoJSON().geometry, [code], function (snapped) {
                        self.add({op: "reshape", parcel_code: code, crs: snapped.crs_storage,
                            geometry: snapped.geometry_storage},
                        "修改边界 " + code + "（" + self.area(snapped.area_m2) + "）");
                        self.closeTool();
                    });
                }, "plm-ed-finish"),
                button("取消", "Cancel", function () { self.closeTool(); })
            ]));
        });
    };

    Editor.prototype.tool_register = function () {
        var self = this;
        this.say(this.form, "在地图上画出新地块（点起点闭合或点「完成」）。",
            "Draw the new parcel on the map (click the first point or press 完成)");
        this.draw("polygon", function (polygon) {
            self.workLayer.addLayer(polygon);
            self.snapThen(polygon.toGeoJSON().geometry, [], function (snapped) {
                self.registerForm(snapped);
            });
        });
    };

    /** Snap *geometry* onto the neighbours (the service), show it, then *then(snapped)*. */
    Editor.prototype.snapThen = function (geometry, exclude, then) {
        var self = this;
        clear(this.form);
        this.say(this.form, "正在与相邻地块对齐…", "Snapping onto the neighbours…");
        this.api("POST", this.links.snap, {geometry: geometry, park: this.cfg.park, exclude: exclude,
            tolerance_m: this.cfg.snapToleranceM}).then(function (res) {
            clear(self.form);
            if (!res.ok) {
                self.say(self.form, self.message(res), "The boundary was refused", true);
                self.form.appendChild(h("div", {class: "plm-ed-actions"}, [
                    button("取消", "Cancel", function () { self.closeTool(); })
                ]));
                return;
            }
            self.workLayer.clearLayers();
            L.geoJSON(res.body.geometry, {pane: "plmEditor", style: function () { return STYLE.parts; }})
                .addTo(self.workLayer);
            self.say(self.form, "已对齐 " + res.body.snapped_vertices + " 个顶点；面积 " +
                self.area(res.body.area_m2), res.body.snapped_vertices + " vertices snapped onto the neighbours");
            then(res.body);
        });
    };

    Editor.prototype.registerForm = function (snapped) {
        var self = this;
        var code = h("input", {type: "text", maxlength: 64, title: "Code of the new parcel (required)"});
        var mfg = (this.cfg.classes || []).filter(function (c) { return c.mfg; })[0];
        var classes = select(this.classOptions(false), mfg ? mfg.code : null, "Land-use class");
        var statuses = select(this.statusOptions(), "reserve", "Status");
        this.form.appendChild(field("地块编号", "Parcel code", code));
        this.form.appendChild(field("用途", "Land-use class", classes));
        this.form.appendChild(field("状态", "Status", statuses));
        this.form.appendChild(this.actions(function () {
            if (!code.value.trim()) { self.say(self.form, "请填写地块编号", "A code is required", true); return; }
            self.add({op: "register", parcel_code: code.value.trim(), park: self.cfg.park,
                land_use_code: classes.value, status: statuses.value, crs: snapped.crs_storage,
                geometry: snapped.geometry_storage},
            "新增 " + code.value.trim() + "（" + self.className(classes.value) + "，" +
                self.statusName(statuses.value) + "，" + self.area(snapped.area_m2) + "）");
            self.closeTool();
        }));
        code.focus();
    };

    // --- the draft and its dry run ---------------------------------------------------------

    Editor.prototype.add = function (op, label) {
        this.draft.push({op: op, label: label});
        this.draftChanged();
    };

    Editor.prototype.renderDraft = function () {
        var self = this;
        clear(this.draftList);
        this.draft.forEach(function (item, i) {
            self.draftList.appendChild(h("li", {"data-plm-op": item.op.op}, [
                h("span", {text: item.label, title: item.op.op}),
                button("×", "Remove this operation from the draft", function () {
                    self.draft.splice(i, 1);
                    self.draftChanged();
                }, "plm-ed-x")
            ]));
        });
        if (!this.draft.length) {
            this.draftList.appendChild(h("li", {class: "plm-ed-hint", text: "草稿为空",
                title: "The draft is empty"}));
        }
        this.clearDraftButton.disabled = !this.draft.length;
        mark("draft", this.draft.length);
    };

    /** The change-set body of the draft (*reason* and *document_no* as given, or for a
     * preview the placeholder reason). */
    Editor.prototype.changeSet = function (forPreview) {
        var ops = this.draft.map(function (item) { return item.op; });
        var kinds = ops.map(function (op) { return op.op; });
        var reason = this.reason.value.trim();
        var documentNo = this.documentNo.value.trim();
        return {
            kind: kinds[0],
            reason: reason || (forPreview ? PREVIEW_REASON : ""),
            document_no: documentNo || null,
            operations: ops
        };
    };

    Editor.prototype.draftChanged = function () {
        var self = this;
        this.refresh();
        this.lastVerdict = null;
        this.refreshSubmit();
        root.clearTimeout(this.dryRunTimer);
        this.dryRunTimer = root.setTimeout(function () { self.dryRun(); }, DRY_RUN_DELAY_MS);
    };

    Editor.prototype.dryRun = function () {
        var self = this, seq = ++this.dryRunSeq;
        this.previewLayer.clearLayers();
        clear(this.previewBox);
        mark("dry-run", null);
        if (!this.draft.length) {
            this.previewBox.appendChild(h("p", {class: "plm-ed-hint", text: "草稿为空，无需预览",
                title: "Nothing to preview"}));
            return Promise.resolve(null);
        }
        this.say(this.previewBox, "正在检查…", "Checking…");
        return this.api("POST", this.links.dryRun, this.changeSet(true)).then(function (res) {
            if (seq !== self.dryRunSeq) { return null; }  // the draft changed meanwhile
            clear(self.previewBox);
            if (!res.ok || !res.body || !res.body.verdict) {
                self.lastVerdict = "error";
                self.say(self.previewBox, "无法预览：" + self.message(res), "The dry run failed", true);
                mark("dry-run", "error");
                self.refreshSubmit();
                return null;
            }
            self.lastVerdict = res.body.verdict;
            self.renderPreview(res.body);
            mark("dry-run", res.body.verdict);
            self.refreshSubmit();
            return res.body;
        });
    };

    Editor.prototype.totalsRow = function (name, title, t) {
        var self = this;
        function cell(m2, delta) {
            var n = num(m2);
            if (n === null) { return h("td", {text: "—"}); }
            var mu = delta ? signed(self.mu(n), 2) : fmt(self.mu(n), 2);
            var text = delta ? signed(n, 1) : fmt(n, 1);
            return h("td", {class: delta && n < 0 ? "plm-ed-bad" : null, "data-m2": n},
                [h("b", {text: mu + " 亩"}), h("br"), h("small", {text: text + " m²"})]);
        }
        return h("tr", {}, [h("th", {title: title, text: name}), cell(t.before_m2), cell(t.after_m2),
            cell(t.delta_m2, true)]);
    };

    Editor.prototype.renderPreview = function (body) {
        var self = this, box = this.previewBox, v = VERDICTS[body.verdict] || [body.verdict, body.verdict];
        box.appendChild(h("p", {class: "plm-ed-verdict plm-ed-" + body.verdict, title: v[1],
            "data-verdict": body.verdict, text: v[0]}));

        (body.problems || []).forEach(function (p) {
            var where = p.operation === null || p.operation === undefined ? "" : "操作 " + (p.operation + 1) + "：";
            box.appendChild(h("p", {class: "plm-ed-bad", title: "Problem", text: where + p.message}));
        });

        if (body.refusal) {
            var r = body.refusal;
            box.appendChild(h("p", {class: "plm-ed-bad plm-ed-shortfall", title: r.message,
                "data-shortfall-m2": r.shortfall_m2,
                text: (r.scope === "city" ? "全市" : "园区 " + r.scope) + "制造业用地将减少，缺口 " +
                    this.area(r.shortfall_m2) + "；来自 " + (r.parcels || []).join("、")}));
        }

        var mf = body.manufacturing;
        if (mf) {
            var table = h("table", {class: "plm-ed-totals"}, [
                h("thead", {}, [h("tr", {}, [
                    h("th", {title: "Manufacturing land", text: "制造业用地"}),
                    h("th", {title: "Before", text: "之前"}), h("th", {title: "After", text: "之后"}),
                    h("th", {title: "Change", text: "变化"})
                ])])
            ]);
            var tbody = h("tbody");
            if (mf.city) { tbody.appendChild(this.totalsRow("全市", "City", mf.city)); }
            var parks = mf.parks || {};
            Object.keys(parks).sort(function (a, b) {
                return (b === self.cfg.park) - (a === self.cfg.park) || (a < b ? -1 : 1);
            }).forEach(function (code) {
                var names = (self.plm.cfg.names.parks || {})[code] || [code, code];
                tbody.appendChild(self.totalsRow(names[0] || code, names[1] || code, parks[code]));
            });
            table.appendChild(tbody);
            box.appendChild(table);
        }

        if (body.targets && body.targets.length) {
            var rows = body.targets.map(function (t) {
                var names = (self.plm.cfg.names.parks || {})[t.park] || [t.park, t.park];
                function met(ok) {
                    return h("td", {class: ok ? "plm-ed-ok" : "plm-ed-bad", text: ok ? "✓ 达标" : "✗ 未达标",
                        title: ok ? "met" : "missed"});
                }
                return h("tr", {}, [
                    h("th", {title: names[1], text: names[0]}),
                    h("td", {text: num(t.target_mu) === null ? "—" : fmt(num(t.target_mu), 1) + " 亩"}),
                    h("td", {text: num(t.before_mu) === null ? "—" : fmt(num(t.before_mu), 1)}),
                    h("td", {text: num(t.after_mu) === null ? "—" : fmt(num(t.after_mu), 1)}),
                    met(t.met_after)
                ]);
            });
            box.appendChild(h("table", {class: "plm-ed-targets"}, [
                h("thead", {}, [h("tr", {}, [
                    h("th", {title: "Targets (reserve land)", text: "目标"}),
                    h("th", {title: "Target", text: "目标值"}), h("th", {title: "Before (亩)", text: "之前"}),
                    h("th", {title: "After (亩)", text: "之后"}), h("th", {title: "Met after", text: "之后"})
                ])]),
                h("tbody", {}, rows)
            ]));
        }

        var candidates = body.compensation_candidates || [];
        if (candidates.length) {
            var mfgClass = (this.cfg.classes || []).filter(function (c) { return c.mfg; })[0];
            var list = h("ul", {class: "plm-ed-candidates"});
            candidates.forEach(function (c) {
                list.appendChild(h("li", {"data-plm-code": c.parcel_code}, [
                    h("span", {title: c.land_use_code + " · " + c.status + " · covers " + c.covers_m2 + " m²",
                        text: c.parcel_code + " · " + self.className(c.land_use_code) + " · " +
                            self.statusName(c.status) + " · " + self.area(c.area_m2)}),
                    c.park === self.cfg.park
                        ? button("定位", "Show it on the map", function () { self.plm.focusCode(c.parcel_code); })
                        : h("a", {href: fill(self.links.parkMap, {park: c.park, code: c.parcel_code}), target: "_blank", rel: "noopener",
                            title: "Open it on its park's map", text: "在园区地图中查看"}),
                    mfgClass ? button("用它补偿", "Add its rezoning to " + mfgClass.code + " to the draft",
                        function () {
                            self.add({op: "rezone", parcel_code: c.parcel_code, land_use_code: mfgClass.code},
                                "改变用途 " + c.parcel_code + " → " + self.className(mfgClass.code) + "（补偿）");
                        }, "plm-ed-add") : null
                ]));
            });
            box.appendChild(h("h4", {title: "Parcels whose rezoning to manufacturing would cover the shortfall",
                text: "可补偿的地块（占补平衡）"}));
            box.appendChild(list);
        }

        (body.operations || []).forEach(function (op) {
            (op.after || []).forEach(function (after) {
                if (after.geometry) {
                    self.previewLayer.addData({type: "Feature", geometry: after.geometry,
                        properties: {code: after.parcel_code}});
                }
            });
        });
    };

    // --- submitting --------------------------------------------------------------------------

    Editor.prototype.refreshSubmit = function () {
        var missing = [];
        if (!this.draft.length) { missing.push("草稿为空 the draft is empty"); }
        if (!this.reason.value.trim()) { missing.push("请填写理由 a reason is required"); }
        if (!this.documentNo.value.trim()) { missing.push("请填写批文号 a document number is required"); }
        if (this.draft.length && this.lastVerdict !== "would_commit") {
            missing.push("预览须为「可以提交」 the preview must say it would commit");
        }
        this.submitButton.disabled = missing.length > 0;
        this.submitButton.title = missing.length ? missing.join("; ") : "Submit the draft for approval";
    };

    Editor.prototype.submit = function () {
        var self = this;
        this.refreshSubmit();
        if (this.submitButton.disabled) { return Promise.resolve(null); }
        this.submitButton.disabled = true;
        clear(this.submitResult);
        this.say(this.submitResult, "正在提交…", "Submitting…");
        return this.api("POST", this.links.proposals, this.changeSet(false)).then(function (res) {
            clear(self.submitResult);
            if (res.status !== 201 || !res.body) {
                self.say(self.submitResult, "未能提交：" + self.message(res), "Not submitted", true);
                self.refreshSubmit();
                return null;
            }
            var id = res.body.id;
            var href = fill(self.links.proposalPage, {id: id});
            self.submitResult.appendChild(h("p", {class: "plm-ed-ok", title: "Submitted for approval"}, [
                "已提交审核：", h("a", {href: href, class: "plm-ed-proposal", text: "提案 #" + id,
                    title: "Proposal " + id})
            ]));
            mark("proposal", id);
            self.draft = [];
            self.reason.value = "";
            self.documentNo.value = "";
            self.selected = [];
            self.selectionChanged();
            self.draftChanged();
            return res.body;
        });
    };

    // --- talking to the service ----------------------------------------------------------

    /** *method* *url* with a JSON *body*; the X-CSRF-Token of the session on writes. Resolves
     * to {ok, status, body} (body: the parsed JSON, or null). */
    Editor.prototype.api = function (method, url, body) {
        var headers = {"Accept": "application/json"};
        if (body !== undefined) { headers["Content-Type"] = "application/json"; }
        if (method !== "GET" && this.session.csrf_token) { headers["X-CSRF-Token"] = this.session.csrf_token; }
        return root.fetch(url, {method: method, headers: headers, credentials: "same-origin",
            body: body === undefined ? undefined : JSON.stringify(body)})
            .then(function (r) {
                return r.text().then(function (text) {
                    var json = null;
                    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
                    return {ok: r.ok, status: r.status, body: json};
                });
            })
            .catch(function (err) { return {ok: false, status: 0, body: {message: String(err)}}; });
    };

    /** What an error answer says, in a sentence. */
    Editor.prototype.message = function (res) {
        var b = res.body || {};
        if (res.status === 401) { return "登录已失效，请重新登录（" + (b.message || "unauthorized") + "）"; }
        if (b.problems && b.problems.length) {
            return b.problems.map(function (p) {
                return (p.operation === null || p.operation === undefined ? "" : "操作 " + (p.operation + 1) + "：") +
                    p.message;
            }).join("；");
        }
        return b.message || b.error || ("HTTP " + res.status);
    };

    // --- start -------------------------------------------------------------------------------

    function start() {
        var plm = root.plm, cfg = plm && plm.cfg && plm.cfg.editor;
        if (!cfg || !L || !L.Draw) { return; }
        root.fetch(cfg.links.session, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (session) {
                if (!session || !EDIT_ROLES[session.role]) { mark("editor", "off"); return; }
                var parks = session.parks || [];
                if (parks.length && parks.indexOf(cfg.park) < 0) {
                    mark("editor", "out-of-scope");
                    return;
                }
                root.plmEditor = new Editor(plm, cfg, session);
            })
            .catch(function () { mark("editor", "off"); });
    }

    root.PLM_EDITOR = {Editor: Editor, start: start};
    if (doc.readyState === "loading") {
        doc.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})(window);
