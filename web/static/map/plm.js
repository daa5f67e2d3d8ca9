/*
 * Park land ledger — the behaviour of the map pages (园区用地台账 地图).
 *
 * maps/builder.py writes the calls: `PLM.create(map, config)` once, `plm.layer(spec, data)`
 * per layer (embedded GeoJSON or vector tiles, styled and with popups alike; a layer
 * named in `config.fetched` is GeoJSON fetched from the service the first time it is
 * switched on), then `plm.chrome({...})` for the title box, key figures, legend, search,
 * drawing, the language switch and fitting the map. Colours and names come in `config`
 * (from maps/style.py), so they have one source. Everything here runs offline: the only
 * requests go to the service that served the page.
 */
(function (root) {
    "use strict";
    var L = root.L;
    var DASH = "—";
    // Copies of parks.units and parks.vocabulary (tests/unit/test_facts_have_one_home.py
    // holds them to it): 1 亩 = 10000/15 m² exactly; the supply modes and their names.
    var M2_PER_MU = 10000 / 15;
    var M2_PER_HA = 10000;
    var SUPPLY_MODES = {grant: ["出让", "Grant"], allocate: ["划拨", "Allocation"], lease: ["租赁", "Lease"]};
    var CLASS_OF = {
        parcels: "plm-parcel", buildings: "plm-building", projects: "plm-project",
        parks: "plm-park", context: "plm-context", candidates: "plm-candidate",
        idle: "plm-idle", grades: "plm-grade", alerts: "plm-alert"
    };
    var LANGS = ["both", "zh", "en"];

    // --- text ------------------------------------------------------------------------------

    function esc(value) {
        if (value === null || value === undefined || value === "") { return DASH; }
        return String(value).replace(/[&<>"']/g, function (c) {
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
        });
    }
    function num(value) {
        if (value === null || value === undefined || value === "") { return null; }
        var n = Number(value);
        return isFinite(n) ? n : null;
    }
    function fmt(n, digits) {
        return n.toLocaleString("en-US", {minimumFractionDigits: digits, maximumFractionDigits: digits});
    }
    function bi(zh, en) {
        var parts = [];
        if (zh !== null && zh !== undefined && zh !== "") { parts.push('<span class="plm-zh">' + esc(zh) + "</span>"); }
        if (en !== null && en !== undefined && en !== "") { parts.push('<span class="plm-en">' + esc(en) + "</span>"); }
        return parts.length ? parts.join(" ") : DASH;
    }
    function pair(names, code) {
        var n = names && names[code];
        return n ? bi(n[0], n[1]) : esc(code);
    }
    function area(m2) {
        var n = num(m2);
        if (n === null) { return DASH; }
        return fmt(n, 1) + " m² · " + fmt(n / M2_PER_MU, 2) + " 亩 · " + fmt(n / M2_PER_HA, 2) + " ha";
    }
    function m2(value) {
        var n = num(value);
        return n === null ? DASH : fmt(n, 1) + " m²";
    }
    function share(value, whole) {
        var v = num(value), w = num(whole);
        return m2(value) + (v !== null && w ? " (" + fmt(100 * v / w, 0) + "%)" : "");
    }
    function link(template, code, zh, en) {
        if (!template || code === null || code === undefined) { return ""; }
        // The code is encoded into a fixed path of the service, so no data can make the
        // link point elsewhere (a function: "$&" in a replacement string is special).
        var href = template.replace("{code}", function () { return encodeURIComponent(code); });
        return '<a href="' + esc(href) + '" target="_blank" rel="noopener">' + bi(zh, en) + "</a>";
    }
    function row(zh, en, value) {
        return "<tr><th>" + bi(zh, en) + "</th><td>" + value + "</td></tr>";
    }
    function codes(value) {
        if (Array.isArray(value)) { return value; }
        return value ? String(value).split(",").filter(Boolean) : [];
    }
    function milestones(value) {
        var list = value;
        if (typeof value === "string") {
            try { list = JSON.parse(value); } catch (e) { list = []; }
        }
        return Array.isArray(list) ? list : [];
    }

    // The layer control lists the layers by category: a heading starts each group. Leaflet
    // rebuilds the list whenever a layer comes or goes, so the headings follow each rebuild.
    var GROUPS = {
        parcels_use: ["地块", "Parcels"], parcels_status: ["地块", "Parcels"],
        buildings: ["厂房与项目", "Buildings and projects"], projects: ["厂房与项目", "Buildings and projects"],
        context: ["现状要素", "Context"], candidates: ["供地分析", "Availability"],
        idle: ["土地监管", "Land supervision"], grades: ["土地监管", "Land supervision"],
        alerts: ["厂房与项目", "Buildings and projects"],
        parks: ["园区", "Parks"]
    };
    var baseUpdate = L.Control.Layers.prototype._update;
    L.Control.Layers.include({
        _update: function () {
            var out = baseUpdate.apply(this, arguments);
            var plm = this._map && this._map._plm;
            if (plm && this._overlaysList) {
                plm.layerControl = this;
                plm.groupLayers(this._overlaysList);
                plm.showLoadStates();
            }
            return out;
        }
    });

    // --- the map object ------------------------------------------------------------------------

    function Plm(map, cfg) {
        this.map = map;
        this.cfg = cfg;
        this.layers = {};
        this.index = {};
        this.projectOf = {};
        this.records = null;
        this.patterns = {};
        this.mfg = {};
        var self = this;
        (cfg.manufacturing || []).forEach(function (code) { self.mfg[code] = true; });
        map.getContainer().classList.add("plm-map");
        map._plm = this;
        if (map.attributionControl) { map.attributionControl.setPrefix(cfg.attributionPrefix || false); }
        this.setLang(initialLang());
        // Frame the parks now, before any layer asks for tiles; chrome() refines it once
        // the boxes around the map have their real sizes.
        if (cfg.bounds) { this.fitTo(L.latLngBounds(cfg.bounds)); }
    }

    Plm.prototype.fitTo = function (bounds) {
        var map = this.map, size = map.getSize();
        var title = this.titleBox, legend = this.legend, panel = this.panel;
        var column = Math.max(title ? title.offsetWidth : 440, panel ? panel.offsetWidth : 0);
        var left = Math.min(column + 24, size.x * 0.3);
        var right = Math.min((legend ? legend.offsetWidth : 330) + 24, size.x * 0.35);
        map.fitBounds(bounds, {paddingTopLeft: [left, 24], paddingBottomRight: [right, 24],
            maxZoom: 17, animate: false});
    };

    function initialLang() {
        var asked = new URLSearchParams(root.location.search).get("lang");
        if (LANGS.indexOf(asked) >= 0) { return asked; }
        try {
            var kept = root.localStorage.getItem("plm-lang");
            if (LANGS.indexOf(kept) >= 0) { return kept; }
        } catch (e) { /* storage may be off */ }
        return "both";
    }

    Plm.prototype.setLang = function (lang) {
        this.lang = LANGS.indexOf(lang) >= 0 ? lang : "both";
        document.documentElement.setAttribute("data-plm-lang", this.lang);
        document.documentElement.lang = this.lang === "en" ? "en" : "zh-CN";
        try { root.localStorage.setItem("plm-lang", this.lang); } catch (e) { /* ignore */ }
        if (this.searchControl && this.searchControl._input) {
            this.searchControl._input.placeholder = this.searchPlaceholder();
        }
        var buttons = document.querySelectorAll("[data-plm-lang-set]");
        for (var i = 0; i < buttons.length; i++) {
            buttons[i].classList.toggle("plm-on", buttons[i].getAttribute("data-plm-lang-set") === this.lang);
        }
    };

    // --- styles ------------------------------------------------------------------------------

    Plm.prototype.isManufacturing = function (p) {
        if (p.is_manufacturing === true || p.is_manufacturing === false) { return p.is_manufacturing; }
        return this.mfg[p.land_use_code] === true;
    };

    Plm.prototype.hatched = function (colour, canvas) {
        var hatch = this.cfg.hatches[colour];
        if (!hatch) { return colour; }
        if (!canvas) { return "url(#" + hatch[1] + ")"; }
        if (!this.patterns[colour]) {
            // The SVG pattern's look on a canvas: 6 px tiles, a 1.8 px stripe at 45°.
            var c = document.createElement("canvas");
            c.width = c.height = 6;
            var ctx = c.getContext("2d");
            ctx.fillStyle = colour;
            ctx.fillRect(0, 0, 6, 6);
            ctx.strokeStyle = hatch[0];
            ctx.lineWidth = 1.8;
            ctx.beginPath();
            [[-3, 3, 3, -3], [0, 6, 6, 0], [3, 9, 9, 3]].forEach(function (s) {
                ctx.moveTo(s[0], s[1]);
                ctx.lineTo(s[2], s[3]);
            });
            ctx.stroke();
            this.patterns[colour] = ctx.createPattern(c, "repeat");
        }
        return this.patterns[colour];
    };

    Plm.prototype.vacancyRatio = function (p) {
        var floor = num(p.floor_area_m2);
        if (!floor || floor <= 0) { return null; }
        var vacant = num(p.vacant_m2);
        if (vacant === null) {
            var leased = num(p.leased_m2);
            vacant = leased === null ? null : floor - leased;
        }
        return vacant === null ? null : Math.min(Math.max(vacant / floor, 0), 1);
    };

    Plm.prototype.parkMissed = function (code) {
        var f = this.cfg.figures[code];
        var t = f && f.target;
        return !!(t && t.target_set && !t.met);
    };

    Plm.prototype.style = function (kind, view, p, canvas) {
        var c = this.cfg.colours;
        p = p || {};
        if (kind === "parcels" && p.overview) {
            // An overview cell (low zooms): a pixel or two, its fill is all that shows.
            return {stroke: false, fill: true, fillOpacity: 0.85,
                fillColor: view === "status" ? c.status[p.status] || c.noData : c.landUse[p.land_use_code] || c.noData};
        }
        if (kind === "parcels") {
            var mfg = this.isManufacturing(p);
            var outline = mfg ? {color: c.mfgOutline, weight: c.mfgWeight, opacity: 1}
                : {color: "#ffffff", weight: 1, opacity: 0.9};
            var fill;
            if (view === "status") {
                fill = {fillColor: c.status[p.status] || c.noData, fillOpacity: 0.85};
            } else {
                var colour = c.landUse[p.land_use_code] || c.noData;
                fill = {fillColor: mfg ? this.hatched(colour, canvas) : colour, fillOpacity: mfg ? 0.9 : 0.75};
            }
            return L.extend({stroke: true, fill: true}, fill, outline);
        }
        if (kind === "buildings") {
            var ratio = this.vacancyRatio(p), vacancy = c.noData;
            if (ratio !== null) {
                vacancy = c.vacancy[c.vacancy.length - 1][1];
                for (var i = 0; i < c.vacancy.length; i++) {
                    if (ratio <= c.vacancy[i][0]) { vacancy = c.vacancy[i][1]; break; }
                }
            }
            return {fill: true, fillColor: vacancy, fillOpacity: 0.92, color: "#263238", weight: 1.2, opacity: 1};
        }
        if (kind === "projects") {
            var s = c.projects[p.status] || [c.noData, true];
            return {color: s[0], weight: 4, opacity: 1, fill: true, fillColor: s[0], fillOpacity: 0.12,
                dashArray: s[1] ? "7 5" : null};
        }
        if (kind === "parks") {
            var missed = this.parkMissed(p.code);
            return {fill: false, color: missed ? c.parkMissed : c.park, weight: missed ? 4 : 3,
                opacity: 0.9, dashArray: "10 6"};
        }
        if (kind === "candidates") {
            return {color: c.candidate, weight: 3.5, opacity: 1, fill: true, fillColor: c.candidate,
                fillOpacity: 0.35};
        }
        if (kind === "idle") {
            var stage = (c.idle || {})[p.stage] || c.noData;
            // A dashed dark outline sets idle land apart from a land use of a like colour.
            return {color: c.idleOutline || "#111827", weight: 2.5, opacity: 1, dashArray: "6 4", fill: true,
                fillColor: stage, fillOpacity: 0.75};
        }
        if (kind === "grades") {
            var grade = (c.grades || {})[p.grade] || c.noData;
            return {color: "#263238", weight: 1, opacity: 0.9, fill: true, fillColor: grade, fillOpacity: 0.8};
        }
        if (kind === "alerts") {
            // An outline only: a click inside the site still reaches the project under it.
            return {color: c.alert || "#d7191c", weight: 3.5, opacity: 1, fill: false, dashArray: null};
        }
        var ctx = L.extend({weight: 2, color: "#374151", fillOpacity: 0.15}, c.context[view] || {});
        ctx.radius = 5;
        ctx.fill = ctx.fillColor !== undefined;
        return ctx;
    };

    // --- popups ------------------------------------------------------------------------------

    Plm.prototype.popup = function (kind, p, view) {
        var cfg = this.cfg, n = cfg.names, links = cfg.links || {};
        p = p || {};
        var rows = [], actions = [];
        if (kind === "parcels" && p.overview) {
            var names = n.landUse[p.land_use_code] || [];
            rows.push(row("概览", "Overview", "<b>" + fmt(num(p.parcels) || 0, 0) + "</b> " + bi("宗地块", "parcels")));
            rows.push(row("主要用途", "Mostly", esc(p.land_use_code) + " " + bi(names[0], names[1])));
            rows.push(row("主要状态", "Mostly", pair(n.status, p.status)));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("面积", "Area", area(p.area_m2)));
            return '<table class="plm-table">' + rows.join("") + "</table>" +
                '<div class="plm-links">' + bi("放大地图查看各宗地块", "Zoom in to see each parcel") + "</div>";
        }
        if (kind === "parcels") {
            var code = p.parcel_code;
            var useNames = n.landUse[p.land_use_code] || [p.land_use_name, p.land_use_name_en];
            var mode = SUPPLY_MODES[p.supply_mode];
            var supply = mode ? bi(mode[0], mode[1]) : esc(p.supply_mode);
            if (p.supplied_on) { supply += " · " + esc(p.supplied_on); }
            rows.push(row("地块编号", "Parcel", "<b>" + esc(code) + "</b>"));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("用途", "Land use", esc(p.land_use_code) + " " + bi(useNames[0], useNames[1])));
            rows.push(row("制造业用地", "Manufacturing", this.isManufacturing(p) ? bi("是", "Yes") : bi("否", "No")));
            rows.push(row("状态", "Status", pair(n.status, p.status)));
            rows.push(row("权利人", "Holder", esc(p.holder)));
            rows.push(row("供地", "Supply", p.supply_mode ? supply : DASH));
            rows.push(row("面积", "Area", area(p.area_m2)));
            var project = this.projectOf[code];
            if (project) {
                rows.push(row("重点项目", "Project", esc(project.name) + " " +
                    link(links.project, project.project_code, "项目页", "project page")));
            }
            actions.push(link(links.history, code, "地块历史", "History"));
        } else if (kind === "buildings") {
            rows.push(row("厂房编号", "Building", "<b>" + esc(p.building_code) + "</b>"));
            rows.push(row("名称", "Name", esc(p.name)));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("所在地块", "Parcel", esc(p.parcel_code)));
            rows.push(row("层数", "Storeys", p.storeys === null || p.storeys === undefined ? DASH
                : esc(p.storeys) + " " + bi("层", "storeys")));
            rows.push(row("建筑面积", "Floor area", m2(p.floor_area_m2)));
            rows.push(row("已出租", "Leased", share(p.leased_m2, p.floor_area_m2)));
            rows.push(row("空置", "Vacant floor", "<b>" + share(p.vacant_m2, p.floor_area_m2) + "</b>"));
            actions.push(link(links.history, p.parcel_code, "地块历史", "Parcel history"));
        } else if (kind === "projects") {
            var yi = num(p.investment_yi);
            var steps = milestones(p.milestones);
            var last = steps.length ? steps[steps.length - 1] : null;
            rows.push(row("项目", "Project", "<b>" + esc(p.name) + "</b>"));
            rows.push(row("编号", "Code", esc(p.project_code)));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("投资方", "Investor", esc(p.investor)));
            rows.push(row("产业链", "Industry chain", esc(p.industry_chain)));
            rows.push(row("总投资", "Investment", yi === null ? DASH : fmt(yi, 2) + " 亿元"));
            rows.push(row("状态", "Status", pair(n.projectStatus, p.status)));
            rows.push(row("用地", "Parcels", esc(codes(p.parcel_codes).join(", "))));
            if (p.site_area_m2 !== undefined) { rows.push(row("用地面积", "Site area", area(p.site_area_m2))); }
            if (last) { rows.push(row("最新节点", "Latest milestone", esc(last.date) + " " + esc(last.name))); }
            actions.push(link(links.project, p.project_code, "项目页", "Project page"));
        } else if (kind === "parks") {
            var f = cfg.figures[p.code] || {};
            rows.push(row("园区", "Park", "<b>" + bi(p.name_zh, p.name_en) + "</b>"));
            rows.push(row("代码", "Code", esc(p.code)));
            rows.push(row("面积", "Area", area(p.area_m2)));
            rows.push(row("地块", "Parcels", p.parcels === null || p.parcels === undefined ? DASH
                : fmt(num(p.parcels), 0) + " " + bi("宗", "parcels")));
            rows.push(row("制造业用地", "Manufacturing land", area(p.manufacturing_m2)));
            if (f.reserve_m2 !== undefined) { rows.push(row("储备用地", "Reserve land", area(f.reserve_m2))); }
            if (f.factory_vacant_m2 !== undefined) {
                rows.push(row("空置厂房", "Vacant factory floor", share(f.factory_vacant_m2, f.factory_floor_m2)));
            }
            var byStatus = f.projects_by_status || {};
            var projectText = Object.keys(n.projectStatus).filter(function (k) { return byStatus[k]; })
                .map(function (k) { return pair(n.projectStatus, k) + " " + esc(byStatus[k]); }).join(" · ");
            rows.push(row("重点项目", "Key projects", projectText || DASH));
            rows.push(row("目标", "Targets", targetText(f.target)));
        } else if (kind === "idle") {
            var fee = num(p.fee_wan);
            rows.push(row("地块编号", "Parcel", "<b>" + esc(p.parcel_code) + "</b>"));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("用地单位", "Holder", esc(p.holder)));
            rows.push(row("合同号", "Contract", esc(p.contract_no)));
            rows.push(row("阶段", "Stage", "<b>" + pair(n.idleStage, p.stage) + "</b>" +
                (p.for_decision ? ' <span class="plm-short">' + bi("提请无偿收回", "for decision: recovery") + "</span>" : "")));
            rows.push(row("计时", "Clock", pair(n.idleClock, p.clock) + " · " + esc(p.clock_started_on)));
            rows.push(row("计时天数", "Days on clock", esc(p.days_on_clock) +
                (num(p.delay_days) ? " (" + bi("扣除政府原因延误", "less government delay") + " " + esc(p.delay_days) + ")" : "")));
            rows.push(row("认定闲置日", "Idle on", esc(p.idle_on)));
            rows.push(row("无偿收回日", "Recovery on", esc(p.recovery_on)));
            rows.push(row("闲置费", "Idle fee", fee === null ? DASH : fmt(fee, 2) + " 万元"));
            rows.push(row("面积", "Area", area(p.land_area_m2)));
            if (p.as_of) { rows.push(row("截至", "As of", esc(p.as_of))); }
            actions.push(link(links.history, p.parcel_code, "地块历史", "History"));
        } else if (kind === "grades") {
            var score = num(p.score);
            var low = Array.isArray(p.low_efficiency) ? p.low_efficiency : codes(p.low_efficiency);
            rows.push(row("地块编号", "Parcel", "<b>" + esc(p.parcel_code) + "</b>"));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("用地单位", "Holder", esc(p.holder)));
            rows.push(row("评价等级", "Grade", "<b>" + pair(n.grade, p.grade) + "</b>" +
                (p.year ? " · " + esc(p.year) : "")));
            rows.push(row("得分", "Score", score === null ? DASH : fmt(score, 2)));
            rows.push(row("排名", "Rank", esc(p.rank)));
            if (low.length) { rows.push(row("低效用地", "Low efficiency", esc(low.join(", ")))); }
            rows.push(row("面积", "Area", area(p.area_m2)));
            actions.push(link(links.history, p.parcel_code, "地块历史", "History"));
        } else if (kind === "alerts") {
            rows.push(row("项目", "Project", "<b>" + esc(p.name) + "</b>"));
            rows.push(row("编号", "Code", esc(p.project_code)));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("预警原因", "Why", alertReasons(p).join("<br>") || DASH));
            if (p.as_of) { rows.push(row("截至", "As of", esc(p.as_of))); }
            actions.push(link(links.projectPage, p.project_code, "项目页", "Project page"));
        } else if (kind === "candidates") {
            var members = codes(p.members);
            rows.push(row("排名", "Rank", "<b>" + esc(p.rank) + "</b>"));
            rows.push(row("得分", "Score", num(p.score) === null ? esc(p.score) : fmt(num(p.score), 3)));
            rows.push(row("地块", "Parcel", esc(p.parcel_code || members.join(" + "))));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
            rows.push(row("面积", "Area", area(p.area_m2)));
            var d = p.distances_m || {};
            if (typeof d === "string") { try { d = JSON.parse(d); } catch (e) { d = {}; } }
            Object.keys(d).forEach(function (k) {
                var v = num(d[k]);
                rows.push(row("距离 " + k, "to " + k, v === null ? DASH : fmt(v, 0) + " m"));
            });
            actions.push(link(links.history, p.parcel_code || members[0], "地块历史", "History"));
        } else {
            rows.push(row("图层", "Layer", pair(n.context, view)));
            rows.push(row("名称", "Name", esc(p.name)));
            rows.push(row("类型", "Kind", esc(p.kind)));
            rows.push(row("园区", "Park", pair(n.parks, p.park)));
        }
        actions = actions.filter(Boolean);
        return '<table class="plm-table">' + rows.join("") + "</table>" +
            (actions.length ? '<div class="plm-links">' + actions.join(" · ") + "</div>" : "");
    };

    // Why a key project is marked: behind plan, overdue problems, late milestones.
    function alertReasons(p) {
        var out = [], pctDone = num(p.completion_to_date_pct), short = num(p.shortfall_share);
        var overdue = num(p.overdue_problems) || 0, late = num(p.milestones_late) || 0;
        if (p.behind === true || p.behind === "true") {
            out.push('<span class="plm-short">' + bi("投资滞后", "Behind plan") + "</span>：" +
                bi("序时完成", "done") + " " + (pctDone === null ? DASH : fmt(pctDone, 1) + "%") +
                (short === null ? "" : "，" + bi("缺口", "short") + " " + fmt(100 * short, 1) + "%"));
        }
        if (overdue > 0) {
            var days = num(p.max_days_overdue);
            out.push('<span class="plm-short">' + bi("逾期问题", "Overdue problems") + "</span>：" +
                fmt(overdue, 0) + " " + bi("个", "") +
                (days === null ? "" : "，" + bi("最长逾期", "longest") + " " + fmt(days, 0) + " " + bi("天", "days")));
        }
        if (late > 0) {
            out.push(bi("节点滞后", "Milestones late") + "：" + fmt(late, 0) + " " + bi("个", ""));
        }
        return out;
    }

    function targetText(t) {
        if (!t || !t.target_set) { return bi("未设目标", "no target set"); }
        var parts = [];
        parts.push(bi("储备", "reserve") + " " + (t.reserve_met ? '<span class="plm-ok">✓</span>'
            : '<span class="plm-short">✗ ' + bi("差", "short") + " " + fmt(num(t.reserve_short_mu) || 0, 1) + " 亩</span>"));
        parts.push(bi("空置厂房", "vacant floor") + " " + (t.floor_met ? '<span class="plm-ok">✓</span>'
            : '<span class="plm-short">✗ ' + bi("差", "short") + " " + fmt(num(t.floor_short_m2) || 0, 0) + " m²</span>"));
        var head = t.met ? '<span class="plm-ok">' + bi("达标", "met") + "</span>"
            : '<span class="plm-short">' + bi("未达标", "missed") + "</span>";
        return head + "<br>" + parts.join("<br>");
    }

    // --- layers ------------------------------------------------------------------------------

    Plm.prototype.layer = function (spec, data) {
        var url = (this.cfg.fetched || {})[spec.key];
        var layer = spec.tiles ? this.tileLayer(spec) : this.geojsonLayer(spec, url ? null : data);
        layer.plmSpec = spec;
        this.layers[spec.key] = layer;
        if (url && !spec.tiles) { this.fetchWhenShown(layer, url); }
        return layer;
    };

    // --- layers fetched when first switched on ---------------------------------------------
    // Costly layers (the land-supervision ones) are not in the page: the first time one is
    // switched on its GeoJSON comes from the service, with the page's session cookie. While
    // it loads, and if it fails, the layer control and the legend say so; switching a
    // failed layer off and on again asks once more.

    Plm.prototype.fetchWhenShown = function (layer, url) {
        var self = this, key = layer.plmSpec.key;
        this.loads = this.loads || {};
        layer.on("add", function () {
            var state = self.loads[key];
            if (state && (state.state === "loading" || state.state === "loaded")) { return; }
            self.setLoadState(key, {state: "loading"});
            root.fetch(url, {credentials: "same-origin", headers: {Accept: "application/geo+json"}})
                .then(function (r) {
                    return r.json().catch(function () { return {}; }).then(function (body) {
                        if (!r.ok) {
                            throw new Error((body && (body.message || body.error)) || "HTTP " + r.status);
                        }
                        return body;
                    });
                })
                .then(function (fc) {
                    layer.clearLayers();
                    layer.addData(fetchedFeatures(fc));
                    self.setLoadState(key, {state: "loaded"});
                    if (self.keepInFront) { self.keepInFront(); }
                    document.documentElement.setAttribute("data-plm-fetched-" + key,
                        String(layer.getLayers().length));
                })
                .catch(function (err) {
                    self.setLoadState(key, {state: "failed", message: err && err.message ? err.message : String(err)});
                });
        });
    };

    // The features of a fetched collection that can be drawn, each with the collection's
    // `as_of` and `year` (the day and year the layer is of) among its properties.
    function fetchedFeatures(fc) {
        var out = [];
        ((fc && fc.features) || []).forEach(function (f) {
            if (!f || !f.geometry) { return; }
            var p = L.extend({}, f.properties || {});
            ["as_of", "year"].forEach(function (k) {
                if ((p[k] === undefined || p[k] === null) && fc[k] !== undefined) { p[k] = fc[k]; }
            });
            out.push({type: "Feature", id: f.id, geometry: f.geometry, properties: p});
        });
        return {type: "FeatureCollection", features: out};
    }

    Plm.prototype.setLoadState = function (key, state) {
        this.loads[key] = state;
        this.showLoadStates();
        var legend = this.legend;
        if (!legend) { return; }
        // The section is found by comparing its attribute (a key may be data), as syncLegend does.
        legend.querySelectorAll("[data-plm-section]").forEach(function (section) {
            if (section.getAttribute("data-plm-section") !== key) { return; }
            var note = section.querySelector(".plm-load-state");
            if (note) { note.remove(); }
            var html = loadStateHtml(state, true);
            if (!html) { return; }
            note = document.createElement("p");
            note.className = "plm-load-state";
            note.setAttribute("role", "status");
            note.innerHTML = html;
            section.appendChild(note);
        });
    };

    function loadStateHtml(state, long) {
        if (!state || state.state === "loaded") { return ""; }
        if (state.state === "loading") { return '<span class="plm-busy">' + bi("加载中…", "Loading…") + "</span>"; }
        return '<span class="plm-short">' + bi("加载失败", "Could not load") +
            (long ? "：" + esc(state.message) + "</span> " +
                bi("关闭后再打开可重试", "switch the layer off and on to try again") : "</span>");
    }

    // The layer control is rebuilt whenever a layer comes or goes: the states follow.
    Plm.prototype.showLoadStates = function () {
        var control = this.layerControl, list = control && control._overlaysList;
        if (!list || !this.loads) { return; }
        var byId = {}, self = this;
        Object.keys(this.loads).forEach(function (key) { byId[L.stamp(self.layers[key])] = key; });
        list.querySelectorAll("label").forEach(function (label) {
            var input = label.querySelector("input");
            var key = input && byId[input.layerId];
            if (!key) { return; }
            var note = label.querySelector(".plm-load-state");
            if (note) { note.remove(); }
            var html = loadStateHtml(self.loads[key], false);
            if (!html) { return; }
            note = document.createElement("span");
            note.className = "plm-load-state";
            note.innerHTML = " " + html;
            (label.querySelector("span") || label).appendChild(note);
        });
    };

    Plm.prototype.popupOptions = function () {
        return {className: "plm-popup", maxWidth: 440, autoPanPadding: [40, 40]};
    };

    Plm.prototype.geojsonLayer = function (spec, data) {
        var self = this, kind = spec.kind, view = spec.view, cls = CLASS_OF[kind] || "plm-context";
        var layer = L.geoJSON(data, {
            style: function (f) {
                return L.extend({className: cls}, self.style(kind, view, f.properties, false));
            },
            pointToLayer: function (f, latlng) {
                return L.circleMarker(latlng, L.extend({className: cls}, self.style(kind, view, f.properties, false)));
            },
            onEachFeature: function (f, sub) {
                var p = f.properties || {};
                sub.bindPopup(function () { return self.popup(kind, p, view); }, self.popupOptions());
                self.decorate(kind, view, p, sub);
                self.remember(kind, p, sub, spec.key);
            }
        });
        return layer;
    };

    Plm.prototype.decorate = function (kind, view, p, sub) {
        var self = this;
        var tip = {sticky: true, className: "plm-tooltip", direction: "top", offset: [0, -6]};
        if (kind === "parcels") {
            sub.bindTooltip(esc(p.parcel_code), tip);
        } else if (kind === "buildings") {
            sub.bindTooltip(esc(p.building_code) + " " + esc(p.name), tip);
        } else if (kind === "projects") {
            sub.bindTooltip(esc(p.project_code) + " " + esc(p.name), tip);
        } else if (kind === "idle") {
            var stageName = (this.cfg.names.idleStage || {})[p.stage] || [p.stage, p.stage];
            sub.bindTooltip(esc(p.parcel_code) + " " + bi(stageName[0], stageName[1]), tip);
        } else if (kind === "grades") {
            sub.bindTooltip(esc(p.parcel_code) + " · " + esc(p.grade), tip);
        } else if (kind === "alerts") {
            sub.bindTooltip(esc(p.project_code) + " " + esc(p.name) + " · " + bi("预警", "alert"), tip);
            // A marker at the site's centre, with the same popup, stays visible from afar.
            sub.on("add", function () {
                var centre = sub.getCenter ? sub.getCenter() : sub.getLatLng();
                sub._plmMarker = L.marker(centre, {
                    icon: L.divIcon({className: "plm-alert-marker", html: "!", iconSize: [22, 22],
                        iconAnchor: [11, 11]}),
                    keyboard: true, title: (p.project_code || "") + " " + (p.name || ""), riseOnHover: true
                }).bindPopup(function () { return self.popup(kind, p, view); }, self.popupOptions())
                    .addTo(sub._map);
            });
            sub.on("remove", function () { if (sub._plmMarker) { sub._plmMarker.remove(); } });
        } else if (kind === "candidates") {
            sub.bindTooltip("#" + esc(p.rank), {permanent: true, direction: "center",
                className: "plm-rank", interactive: false});
        } else if (kind === "parks") {
            // The name sits above the park's northern edge, where it hides no parcel.
            sub.on("add", function () {
                var b = sub.getBounds();
                var badge = self.parkMissed(p.code)
                    ? '<br><span class="plm-missed-label">' + bi("未达目标", "target missed") + "</span>" : "";
                sub._plmLabel = L.tooltip({permanent: true, direction: "top", className: "plm-park-label",
                    interactive: false})
                    .setLatLng([b.getNorth(), b.getCenter().lng])
                    .setContent("<b>" + bi(p.name_zh, null) + "</b><br>" + bi(null, p.name_en) + badge)
                    .addTo(sub._map);
            });
            sub.on("remove", function () { if (sub._plmLabel) { sub._plmLabel.remove(); } });
        }
        if (kind === "parcels" || kind === "buildings" || kind === "projects") {
            var hover = kind === "parcels" ? {weight: 3.5, color: "#00b8d9", fillOpacity: 0.95}
                : kind === "buildings" ? {weight: 3, color: "#00b8d9"} : {weight: 6, fillOpacity: 0.25};
            sub.on("mouseover", function () { sub.setStyle(hover); });
            sub.on("mouseout", function () { sub.setStyle(self.style(kind, view, p, false)); });
        }
    };

    Plm.prototype.remember = function (kind, p, sub, key) {
        var code = kind === "parcels" ? p.parcel_code : kind === "projects" ? p.project_code
            : kind === "buildings" ? p.building_code : kind === "parks" ? p.code : null;
        if (code === null || code === undefined) { return; }
        var id = kind + ":" + code;
        (this.index[id] = this.index[id] || []).push({key: key, sub: sub, props: p});
        if (kind === "projects") {
            var self = this;
            codes(p.parcel_codes).forEach(function (c) { self.projectOf[c] = p; });
        }
    };

    Plm.prototype.tileLayer = function (spec) {
        var self = this, kind = spec.kind, view = spec.view, styles = {};
        styles[spec.tiles.layer] = function (props) { return self.style(kind, view, props, true); };
        var layer = L.vectorGrid.protobuf(spec.tiles.url, {
            rendererFactory: L.canvas.tile,
            vectorTileLayerStyles: styles,
            interactive: true,
            maxZoom: 22,
            // Buildings are a pixel or two until zoom 13: no tiles of them before.
            minZoom: kind === "buildings" ? 13 : 0,
            attribution: "",
            getFeatureId: function (f) {
                var p = f.properties || {};
                return p.parcel_code || p.building_code || p.project_code || p.code || f.id;
            }
        });
        // Ask only for tiles that touch a park: the parks are small islands in a big
        // city, and an empty tile still costs a round trip.
        var boxes = (this.cfg.parkBoxes || []).map(function (b) { return L.latLngBounds(b); });
        if (boxes.length) {
            var valid = layer._isValidTile;
            layer._isValidTile = function (coords) {
                if (!valid.call(this, coords)) { return false; }
                var tile = this._tileCoordsToBounds(coords);
                return boxes.some(function (b) { return b.intersects(tile); });
            };
        }
        return layer;
    };

    // Tiled features are found here, not by Leaflet.VectorGrid's own events: its canvases
    // stack (one per layer) so the top one would swallow every click, its hit test is off
    // at fractional zooms, and it calls L.DomEvent.fakeStop, which Leaflet 1.8 removed.
    // The tile canvases let clicks through (plm.css); a click on the map asks each tiled
    // layer, top first, which feature of the tile under it holds the point.
    Plm.prototype.hitTiles = function (latlng) {
        var self = this, map = this.map;
        var order = ["projects", "buildings", "parcels_use", "parcels_status"].concat(
            Object.keys(this.layers).filter(function (k) { return k.indexOf("context:") === 0; }));
        for (var i = 0; i < order.length; i++) {
            var key = order[i], layer = self.layers[key];
            if (!layer || !layer.plmSpec.tiles || !map.hasLayer(layer) || layer._tileZoom === undefined) {
                continue;
            }
            var size = layer.getTileSize(), z = layer._tileZoom;
            var p = map.project(latlng, z);
            var coords = L.point(Math.floor(p.x / size.x), Math.floor(p.y / size.y));
            coords.z = z;
            var renderer = (layer._vectorTiles || {})[layer._tileCoordsToKey(coords)];
            if (!renderer) { continue; }
            var local = p.subtract(coords.scaleBy(size)), hit = null;
            for (var id in renderer._layers) {
                var sym = renderer._layers[id];
                // A project is picked by its outline, so the parcels inside stay clickable.
                var inside = key === "projects" ? L.Polyline.prototype._containsPoint.call(sym, local, true)
                    : sym._containsPoint(local);
                if (inside) { hit = sym; }
            }
            if (hit) { return {key: key, kind: layer.plmSpec.kind, view: layer.plmSpec.view, props: hit.properties}; }
        }
        return null;
    };

    Plm.prototype.listenTiles = function () {
        var self = this, map = this.map, busy = 0;
        map.on("draw:drawstart measurestart", function () { busy += 1; });
        map.on("draw:drawstop measurefinish", function () { busy = Math.max(0, busy - 1); });
        map.on("click", function (e) {
            if (busy) { return; }
            var hit = self.hitTiles(e.latlng);
            if (!hit) { return; }
            L.popup(self.popupOptions()).setLatLng(e.latlng)
                .setContent(self.popup(hit.kind, hit.props, hit.view)).openOn(map);
        });
    };

    // --- counting what is drawn (tests and benchmarks read this) --------------------------

    Plm.prototype.drawnCount = function (key) {
        var layer = this.layers[key];
        if (!layer || !this.map.hasLayer(layer)) { return 0; }
        if (layer.plmSpec.tiles) {
            var codesSeen = {}, total = 0;
            Object.keys(layer._vectorTiles || {}).forEach(function (k) {
                var tile = layer._vectorTiles[k];
                Object.keys(tile._layers || {}).forEach(function (id) {
                    var p = tile._layers[id].properties || {};
                    if (p.overview) { total += 1; return; }  // an overview cell is one shape
                    var code = p.parcel_code || p.building_code || p.project_code || p.code || id;
                    if (!codesSeen[code]) { codesSeen[code] = true; total += 1; }
                });
            });
            return total;
        }
        var n = 0;
        layer.eachLayer(function (sub) { if (sub._path && sub._path.isConnected) { n += 1; } });
        return n;
    };

    Plm.prototype.drawnCodes = function (key) {
        var layer = this.layers[key], out = {};
        if (!layer || !this.map.hasLayer(layer)) { return []; }
        if (layer.plmSpec.tiles) {
            Object.keys(layer._vectorTiles || {}).forEach(function (k) {
                var tile = layer._vectorTiles[k];
                Object.keys(tile._layers || {}).forEach(function (id) {
                    var p = tile._layers[id].properties || {};
                    if (!p.overview) { out[p.parcel_code || p.building_code || p.project_code || p.code] = true; }
                });
            });
        } else {
            layer.eachLayer(function (sub) {
                var p = (sub.feature && sub.feature.properties) || {};
                if (sub._path && sub._path.isConnected) {
                    out[p.parcel_code || p.building_code || p.project_code || p.code] = true;
                }
            });
        }
        return Object.keys(out).sort();
    };

    function markDrawn(plm) {
        if (plm.drawnAt !== undefined) { return; }
        plm.drawnAt = root.performance.now();
        try { root.performance.mark("plm-parcels-drawn"); } catch (e) { /* old browsers */ }
        document.documentElement.setAttribute("data-plm-drawn", "1");
    }

    Plm.prototype.watchDrawn = function () {
        var self = this, layer = this.layers.parcels_use;
        if (!layer || !this.map.hasLayer(layer)) {
            root.requestAnimationFrame(function () { markDrawn(self); });
            return;
        }
        if (layer.plmSpec.tiles) {
            if (layer.isLoading && !layer.isLoading() && Object.keys(layer._vectorTiles || {}).length) {
                markDrawn(self);
            } else {
                layer.once("load", function () { root.requestAnimationFrame(function () { markDrawn(self); }); });
            }
        } else {
            // SVG paths are in the document once the layer is added; paint on the next frames.
            root.requestAnimationFrame(function () {
                root.requestAnimationFrame(function () { markDrawn(self); });
            });
        }
    };

    // --- the page around the map --------------------------------------------------------------

    var Box = L.Control.extend({
        onAdd: function () { return this.options.el; }
    });

    function fromTemplate(id) {
        var tpl = document.getElementById(id);
        var el = tpl && tpl.content.firstElementChild ? tpl.content.firstElementChild.cloneNode(true) : null;
        if (el) {
            L.DomEvent.disableClickPropagation(el);
            L.DomEvent.disableScrollPropagation(el);
        }
        return el;
    }

    function toFront(control, map) {
        var el = control.getContainer(), corner = el.parentNode;
        if (corner && corner.firstChild !== el) { corner.insertBefore(el, corner.firstChild); }
    }

    Plm.prototype.chrome = function (o) {
        var self = this, map = this.map, layers = o.layers;
        this.chromeLayers = layers;

        var title = fromTemplate(o.title);
        this.titleBox = title;
        var titleControl = new Box({position: "topleft", el: title}).addTo(map);
        toFront(titleControl, map);
        var zoom = L.control.zoom({position: "topleft", zoomInTitle: "放大 Zoom in",
            zoomOutTitle: "缩小 Zoom out"}).addTo(map);
        title.parentNode.insertBefore(zoom.getContainer(), title.nextSibling);
        L.control.scale({position: "bottomleft", imperial: false, maxWidth: 160}).addTo(map);
        var panel = fromTemplate(o.panel);
        this.panel = panel;
        if (panel) { new Box({position: "bottomleft", el: panel}).addTo(map); }
        var legend = fromTemplate(o.legend);
        new Box({position: "bottomright", el: legend}).addTo(map);
        this.legend = legend;

        this.addDraw();
        this.addSearch();
        this.addLangSwitch();

        // Small layers stay clickable above the parcels, and boundaries stay visible,
        // whatever order the layer control adds layers in.
        function keepInFront() {
            ["candidates", "projects", "buildings", "alerts", "parks"].forEach(function (key) {
                var layer = layers[key];
                if (layer && map.hasLayer(layer) && layer.bringToFront) { layer.bringToFront(); }
            });
            if (self.drawResult && map.hasLayer(self.drawResult)) { self.drawResult.bringToFront(); }
            if (self.drawn) { self.drawn.bringToFront(); }
        }
        this.keepInFront = keepInFront;
        // A section is matched by comparing its attribute, not by a CSS selector: a
        // context layer's key holds its name, which is data and may hold anything.
        function syncLegend() {
            legend.querySelectorAll("[data-plm-section]").forEach(function (section) {
                var key = section.getAttribute("data-plm-section");
                if (Object.prototype.hasOwnProperty.call(layers, key)) {
                    section.classList.toggle("plm-off", !map.hasLayer(layers[key]));
                }
            });
        }
        // The two parcel layers colour the same parcels: showing one hides the other
        // (after the layer control has finished with the click, so it shows the change).
        var parcelViews = [layers.parcels_use, layers.parcels_status];
        map.on("overlayadd", function (e) {
            var i = parcelViews.indexOf(e.layer);
            if (i < 0) { return; }
            setTimeout(function () {
                if (parcelViews[1 - i] && map.hasLayer(parcelViews[1 - i])) { map.removeLayer(parcelViews[1 - i]); }
                keepInFront();
            }, 0);
        });
        // The legend takes the height the layer control leaves in the right-hand column.
        function fitLegend() {
            var corner = map._controlCorners.topright;
            legend.style.maxHeight = Math.max(120, map.getSize().y - corner.offsetHeight - 48) + "px";
        }
        map.on("overlayadd", keepInFront);
        map.on("overlayadd overlayremove", syncLegend);
        map.on("overlayadd overlayremove resize", fitLegend);
        keepInFront();
        syncLegend();
        fitLegend();

        // Fit to the parks in the part of the map the boxes leave free (the key figures
        // sit under the title box, in the same column).
        function fit(bounds) { self.fitTo(bounds); }
        this.fit = fit;
        var allBounds = L.latLngBounds(this.cfg.bounds);
        fit(allBounds);

        // Seen from afar, parcel outlines would bury the fills: draw them hairline.
        function syncScale() { map.getContainer().classList.toggle("plm-far", map.getZoom() < 13.5); }
        map.on("zoomend", syncScale);
        syncScale();

        function fitPark(code) {
            if (!code) { fit(allBounds); return; }
            var hit = self.index["parks:" + code];
            if (hit && hit.length) { fit(hit[0].sub.getBounds()); }
        }
        [title, panel].forEach(function (box) {
            if (!box) { return; }
            box.querySelectorAll("[data-plm-park]").forEach(function (el) {
                el.addEventListener("click", function () { fitPark(el.getAttribute("data-plm-park")); });
            });
        });

        this.listenTiles();
        if (this.cfg.focus) { this.focusCode(this.cfg.focus); }
        this.watchDrawn();
    };

    Plm.prototype.groupLayers = function (list) {
        var byId = {}, self = this, previous = null;
        Object.keys(this.layers).forEach(function (key) { byId[L.stamp(self.layers[key])] = key; });
        list.querySelectorAll(".plm-layer-group").forEach(function (el) { el.remove(); });
        list.querySelectorAll("label").forEach(function (label) {
            var input = label.querySelector("input");
            var key = input && byId[input.layerId];
            if (!key) { return; }
            var group = GROUPS[key.indexOf("context:") === 0 ? "context" : key];
            var name = group ? group.join("/") : null;
            if (group && name !== previous) {
                var heading = document.createElement("div");
                heading.className = "plm-layer-group";
                heading.innerHTML = bi(group[0], group[1]);
                label.parentNode.insertBefore(heading, label);
            }
            previous = name;
        });
    };

    Plm.prototype.addLangSwitch = function () {
        var self = this;
        var el = L.DomUtil.create("div", "plm-lang leaflet-bar");
        [["both", "中/EN", "双语 Both"], ["zh", "中文", "中文 Chinese"], ["en", "EN", "English 英文"]]
            .forEach(function (b) {
                var button = L.DomUtil.create("button", "", el);
                button.type = "button";
                button.textContent = b[1];
                button.title = b[2];
                button.setAttribute("data-plm-lang-set", b[0]);
                L.DomEvent.on(button, "click", function (e) { L.DomEvent.stop(e); self.setLang(b[0]); });
            });
        L.DomEvent.disableClickPropagation(el);
        var control = new Box({position: "topright", el: el}).addTo(this.map);
        toFront(control, this.map);
        this.setLang(this.lang);
    };

    // --- search ------------------------------------------------------------------------------

    Plm.prototype.searchPlaceholder = function () {
        return this.lang === "en" ? "Parcel code, holder or project"
            : this.lang === "zh" ? "地块编号、权利人或项目名称" : "地块编号/权利人/项目 Parcel, holder, project";
    };

    Plm.prototype.localRecords = function () {
        if (this.records) { return this.records; }
        var out = [], self = this;
        Object.keys(this.index).forEach(function (id) {
            var entry = self.index[id][0], p = entry.props, kind = id.split(":")[0];
            if (kind !== "parcels" && kind !== "projects") { return; }
            var centre = entry.sub.getBounds ? entry.sub.getBounds().getCenter() : entry.sub.getLatLng();
            var titleText = kind === "parcels"
                ? p.parcel_code + (p.holder ? " · " + p.holder : "")
                : p.name + " · " + p.project_code;
            out.push({title: titleText, kind: kind === "parcels" ? "parcel" : "project",
                code: kind === "parcels" ? p.parcel_code : p.project_code,
                lat: centre.lat, lon: centre.lng});
        });
        this.records = out;
        return out;
    };

    Plm.prototype.addSearch = function () {
        if (!L.Control.Search) { return; }
        var self = this, cfg = this.cfg.search || {};
        var control = new L.Control.Search({
            position: "topright",
            collapsed: false,
            initial: false,
            marker: false,
            minLength: 1,
            delayType: 250,
            tooltipLimit: 15,
            firstTipSubmit: true,
            autoCollapse: false,
            autoType: false,
            textPlaceholder: this.searchPlaceholder(),
            textErr: "未找到 Not found",
            textCancel: "取消 Cancel",
            sourceData: function (text, done) {
                if (cfg.local || !cfg.url) {
                    done(self.localRecords());
                    return {abort: function () {}};
                }
                var ctl = root.AbortController ? new root.AbortController() : null;
                var url = cfg.url + "?q=" + encodeURIComponent(text) +
                    (cfg.park ? "&park=" + encodeURIComponent(cfg.park) : "");
                root.fetch(url, ctl ? {signal: ctl.signal} : {})
                    .then(function (r) { return r.ok ? r.json() : []; })
                    .then(done)
                    .catch(function (err) { if (!err || err.name !== "AbortError") { done([]); } });
                return {abort: function () { if (ctl) { ctl.abort(); } }};
            },
            // A tip shows a title made from the data (a parcel's holder, a project's
            // name): it goes in as text. The plugin's own tip would insert it as HTML.
            buildTip: function (text) {
                var tip = L.DomUtil.create("li", "");
                tip.textContent = text;
                return tip;
            },
            formatData: function (records) {
                var out = {};
                (records || []).forEach(function (r) {
                    var ll = L.latLng(r.lat, r.lon);
                    ll.plm = r;
                    out[r.title] = ll;
                });
                return out;
            },
            moveToLocation: function (latlng) { self.focus(latlng.plm); }
        });
        this.map.addControl(control);
        toFront(control, this.map);
        this.searchControl = control;
        // Chinese comes through an input method, which sends no key-up per character:
        // search on every change of the text as well (the search waits for typing to pause).
        L.DomEvent.on(control._input, "input", function () {
            control._handleKeypress({keyCode: 0});
        });
        control._container.classList.add("plm-search");
    };

    Plm.prototype.visibleEntry = function (id) {
        var entries = this.index[id];
        if (!entries || !entries.length) { return null; }
        var map = this.map, layers = this.layers;
        for (var i = 0; i < entries.length; i++) {
            if (map.hasLayer(layers[entries[i].key])) { return entries[i]; }
        }
        map.addLayer(layers[entries[0].key]);
        return entries[0];
    };

    Plm.prototype.focus = function (rec) {
        if (!rec) { return; }
        var id = (rec.kind === "project" ? "projects:" : "parcels:") + rec.code;
        var entry = this.visibleEntry(id);
        var map = this.map;
        if (entry) {
            var sub = entry.sub;
            map.fitBounds(sub.getBounds(), {maxZoom: 17, padding: [80, 80], animate: false});
            sub.openPopup(sub.getBounds().getCenter());
            return;
        }
        // A tiled layer: go there, then find the feature in the tiles that come in, and
        // open the same popup its click would.
        var key = rec.kind === "project" ? "projects" : map.hasLayer(this.layers.parcels_status)
            ? "parcels_status" : "parcels_use";
        var layer = this.layers[key];
        if (rec.bbox) {
            map.fitBounds([[rec.bbox[1], rec.bbox[0]], [rec.bbox[3], rec.bbox[2]]],
                {maxZoom: 17, padding: [80, 80], animate: false});
        } else {
            map.setView([rec.lat, rec.lon], 17, {animate: false});
        }
        var self = this, tries = 0;
        function open() {
            var props = self.tileFeature(layer, rec.code);
            if (!props && tries++ < 20) { setTimeout(open, 150); return; }
            var kind = rec.kind === "project" ? "projects" : "parcels";
            var content = props ? self.popup(kind, props, layer && layer.plmSpec.view)
                : "<b>" + esc(rec.title || rec.code) + "</b>";
            L.popup(self.popupOptions()).setLatLng([rec.lat, rec.lon]).setContent(content).openOn(map);
        }
        open();
    };

    Plm.prototype.tileFeature = function (layer, code) {
        if (!layer || !layer._vectorTiles) { return null; }
        var keys = Object.keys(layer._vectorTiles);
        for (var i = 0; i < keys.length; i++) {
            var entry = (layer._vectorTiles[keys[i]]._features || {})[code];
            if (entry && entry.feature && entry.feature.properties) { return entry.feature.properties; }
        }
        return null;
    };

    Plm.prototype.focusCode = function (code) {
        if (this.index["parcels:" + code]) { this.focus({kind: "parcel", code: code}); return; }
        if (this.index["projects:" + code]) { this.focus({kind: "project", code: code}); return; }
        var self = this, cfg = this.cfg.search || {};
        if (!cfg.url) { return; }
        root.fetch(cfg.url + "?q=" + encodeURIComponent(code))
            .then(function (r) { return r.ok ? r.json() : []; })
            .then(function (records) {
                var hit = (records || []).filter(function (r) { return r.code === code; })[0];
                if (hit) { self.focus(hit); }
            });
    };

    // --- draw an area, find the land available in it -------------------------------------

    Plm.prototype.addDraw = function () {
        var cfg = this.cfg.draw;
        if (!cfg || !L.Control.Draw) { return; }
        var self = this, map = this.map;
        var local = L.drawLocal.draw;
        local.toolbar.buttons.polygon = "画范围查可供地 Draw an area: find available land";
        local.toolbar.buttons.rectangle = "框选查可供地 Draw a box: find available land";
        local.toolbar.actions.text = "取消 Cancel";
        local.toolbar.actions.title = "取消绘制 Cancel drawing";
        local.toolbar.finish.text = "完成 Finish";
        local.toolbar.finish.title = "完成绘制 Finish drawing";
        local.toolbar.undo.text = "撤销 Undo";
        local.toolbar.undo.title = "撤销最后一点 Delete last point";
        local.handlers.polygon.tooltip.start = "点击开始绘制 Click to start drawing";
        local.handlers.polygon.tooltip.cont = "点击继续 Click to continue";
        local.handlers.polygon.tooltip.end = "点击起点闭合 Click the first point to close";
        local.handlers.rectangle.tooltip.start = "按住拖动画框 Click and drag to draw";
        local.handlers.simpleshape.tooltip.end = "松开完成 Release to finish";
        var shape = {color: "#c2410c", weight: 2, fillOpacity: 0.06, dashArray: "6 4"};
        // showArea stays off: Leaflet.draw 1.0.4's area label throws (an undeclared
        // variable); the result panel reports the area instead.
        var control = new L.Control.Draw({
            position: "topleft",
            draw: {
                polygon: {allowIntersection: false, showArea: false, shapeOptions: shape},
                rectangle: {showArea: false, shapeOptions: shape},
                polyline: false, circle: false, marker: false, circlemarker: false
            },
            edit: false
        });
        map.addControl(control);
        this.drawn = L.featureGroup().addTo(map);
        map.on(L.Draw.Event.CREATED, function (e) {
            self.drawn.clearLayers();
            self.drawn.addLayer(e.layer);
            self.queryArea(e.layer.toGeoJSON().geometry);
        });
    };

    Plm.prototype.queryArea = function (geometry) {
        var self = this, cfg = this.cfg.draw, map = this.map;
        var query = "within=" + encodeURIComponent(JSON.stringify(geometry)) +
            (cfg.park ? "&park=" + encodeURIComponent(cfg.park) : "");
        var box = this.panel && this.panel.querySelector(".plm-draw-result");
        if (box) {
            box.hidden = false;
            box.innerHTML = '<p class="plm-busy">' + bi("查询中…", "Searching…") + "</p>";
            var details = this.panel.querySelector("details");
            if (details) { details.open = true; }
        }
        root.fetch(cfg.url + "?" + query)
            .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
            .then(function (res) {
                if (self.drawResult) { map.removeLayer(self.drawResult); }
                if (!res.ok) {
                    if (box) { box.innerHTML = '<p class="plm-short">' + esc(res.body.message || res.body.error) + "</p>"; }
                    return;
                }
                var fc = res.body;
                self.drawResult = self.geojsonLayer({key: "draw", kind: "candidates"}, fc).addTo(map);
                self.drawResult.plmSpec = {key: "draw", kind: "candidates"};
                self.keepInFront();
                if (box) { box.innerHTML = self.drawResultHtml(fc, query); self.bindDrawResult(box); }
                document.documentElement.setAttribute("data-plm-draw-result", String(fc.features.length));
            })
            .catch(function (err) {
                if (box) { box.innerHTML = '<p class="plm-short">' + esc(String(err)) + "</p>"; }
            });
    };

    Plm.prototype.drawResultHtml = function (fc, query) {
        var features = fc.features || [];
        var total = 0;
        features.forEach(function (f) { total += num(f.properties.area_m2) || 0; });
        var rows = features.map(function (f) {
            var p = f.properties, code = p.parcel_code || codes(p.members).join(" + ");
            return '<tr data-plm-code="' + esc(p.parcel_code || codes(p.members)[0]) + '"><td>#' + esc(p.rank) +
                "</td><td>" + esc(code) + "</td><td>" + fmt((num(p.area_mu) !== null ? num(p.area_mu)
                : (num(p.area_m2) || 0) / M2_PER_MU), 1) + " 亩</td></tr>";
        }).join("");
        var matched = num(fc.numberMatched);
        var more = matched !== null && matched > features.length
            ? '<p class="plm-short">' + bi("只列出前 " + features.length + " 处，共 " + matched + " 处",
                "the first " + features.length + " of " + matched) + "</p>" : "";
        var mapLink = this.cfg.links && this.cfg.links.availabilityMap
            ? '<a href="' + esc(this.cfg.links.availabilityMap + "?" + query) + '" target="_blank">' +
              bi("在供地分析图中打开", "Open as an availability map") + "</a>" : "";
        return "<h4>" + bi("绘制范围内的可供地块", "Available land in the drawn area") + "</h4>" +
            '<p class="plm-draw-summary"><b>' + features.length + "</b> " + bi("宗", "parcels") + " · <b>" +
            fmt(total / M2_PER_MU, 1) + "</b> 亩 (" + fmt(total / M2_PER_HA, 2) + " ha)</p>" +
            (rows ? '<table class="plm-draw-table"><tbody>' + rows + "</tbody></table>" : "") + more +
            '<div class="plm-links">' + mapLink + ' <button type="button" class="plm-clear">' +
            bi("清除", "Clear") + "</button></div>";
    };

    Plm.prototype.bindDrawResult = function (box) {
        var self = this;
        box.querySelectorAll("[data-plm-code]").forEach(function (tr) {
            tr.addEventListener("click", function () {
                var code = tr.getAttribute("data-plm-code");
                self.drawResult.eachLayer(function (sub) {
                    var p = sub.feature.properties;
                    if (p.parcel_code === code || codes(p.members)[0] === code) {
                        self.map.fitBounds(sub.getBounds(), {maxZoom: 17, padding: [80, 80]});
                        sub.openPopup();
                    }
                });
            });
        });
        var clear = box.querySelector(".plm-clear");
        if (clear) {
            clear.addEventListener("click", function () {
                if (self.drawResult) { self.map.removeLayer(self.drawResult); self.drawResult = null; }
                self.drawn.clearLayers();
                box.hidden = true;
                box.innerHTML = "";
                document.documentElement.removeAttribute("data-plm-draw-result");
            });
        }
    };

    root.PLM = {
        create: function (map, cfg) {
            var plm = new Plm(map, cfg);
            root.plm = plm;  // one map per page: tests and the console find it here
            return plm;
        },
        esc: esc,
        num: num,
        fmt: fmt,
        Plm: Plm
    };
})(window);
