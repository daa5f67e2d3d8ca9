"""The map editor's preview refresh after one edit, end to end in headless Chromium.

An editor signs in at ``/login`` and opens a park's map (at ~100,000 parcels its parcels
come from vector tiles; the editor finds a typed code through the API). Each round selects
one more parcel by its code, opens 设置状态 (set status) and adds the edit to the draft;
the time is from the click on 加入草稿 (add to the draft) — dispatched in the page — to the
preview showing the dry run's verdict (the page marks it on ``<html data-plm-dry-run>``),
measured in the page with ``performance.now()``. The draft grows by one operation a round,
as it does while an official works.
"""

from __future__ import annotations

from maps_and_tiles import CHROMIUM, CHROMIUM_ARGS

ROUNDS = 12
WARM_UP = 2
PARK = "caijiapo"

#: Clicks 加入草稿 and resolves with the milliseconds until the verdict is shown.
_TIMED_ADD = """
() => new Promise((resolve, reject) => {
  const html = document.documentElement;
  html.removeAttribute('data-plm-dry-run');
  const observer = new MutationObserver(() => {
    const verdict = html.getAttribute('data-plm-dry-run');
    if (verdict) {
      observer.disconnect();
      resolve([performance.now() - start, verdict]);
    }
  });
  observer.observe(html, {attributes: true, attributeFilter: ['data-plm-dry-run']});
  const start = performance.now();
  document.querySelector('.plm-ed-form .plm-ed-add').click();
  setTimeout(() => reject(new Error('no verdict within 20 s')), 20000);
})
"""


def _codes(server, count: int) -> list[str]:
    from common import engine_for
    from sqlalchemy import text

    engine = engine_for(server.database)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                        "AND park = :p AND status = 'reserve' ORDER BY parcel_code LIMIT :n"
                    ),
                    {"p": PARK, "n": count},
                ).scalars()
            )
    finally:
        engine.dispose()


def measure_preview(server, *, user: str, password: str) -> list[float]:
    """Milliseconds from each edit to its verdict on the page (after WARM_UP rounds)."""
    from playwright.sync_api import sync_playwright

    codes = _codes(server, WARM_UP + ROUNDS)
    timings: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{server.base_url}/login?next=/map/{PARK}")
            page.fill("#name", user)
            page.fill("#password", password)
            with page.expect_navigation():
                page.click("form[action='/login'] button[type=submit]")
            page.wait_for_selector("html[data-plm-editor=ready]", state="attached", timeout=60000)
            for n, code in enumerate(codes):
                page.fill(".plm-ed-filter", code)
                page.focus(".plm-ed-filter")
                page.keyboard.press("Enter")
                page.wait_for_selector(
                    f"html[data-plm-selected='{code}']", state="attached", timeout=20000
                )
                page.click("button[data-plm-ed-tool=set_status]")
                elapsed_ms, verdict = page.evaluate(_TIMED_ADD)
                if verdict != "would_commit":
                    raise RuntimeError(f"the preview said {verdict} after adding {code}")
                if n >= WARM_UP:
                    timings.append(elapsed_ms)
                # The next round selects only its own parcel.
                page.evaluate("() => { plmEditor.selected = []; plmEditor.selectionChanged(); }")
        finally:
            browser.close()
    return timings
