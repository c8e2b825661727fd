"""What the accessibility engine cannot judge, checked in real Chromium:

- the keyboard alone: on the phone survey, the reports and the administration every control is
  reached by Tab, shows where the focus is, and does its work with Enter, Space or the arrows;
- the phone survey with its text at 200 % (the phone's largest font setting, and a laptop's
  browser zoom): nothing wider than the screen, no text cut off, no text over other text;
- `prefers-reduced-motion: reduce` honoured: nothing moves, and a transition or animation added
  later is cut to nothing by the style sheets' own rule;
- the contrast of the kiosk's and the phone's faces and chips, which are drawings and borders
  (WCAG 1.4.11: 3:1 against what is beside them), and of the focus ring.
"""

from __future__ import annotations

import re

import pytest

from collector.demo import DEMO_ADMIN, DEMO_PASSWORD
from tests.browser.live import LiveServer, kiosk_app, receipt_survey_path

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}

#: Mark every control a person may use (the hidden radio or checkbox under a face or a chip
#: included: its drawing is what shows; a question's player too) with data-kb, and list them; a
#: radio group is one stop.
CONTROLS_JS = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, ' +
                   'audio[controls], [tabindex]:not([tabindex="-1"])';
  const found = [];
  document.querySelectorAll(selector).forEach((el, i) => {
    // Not shown (in a closed details, display: none, visibility: hidden): not a stop now.
    if (el.disabled || !el.checkVisibility({visibilityProperty: true})) return;
    el.dataset.kb = String(i);
    const stop = el.type === 'radio' ? 'radio:' + el.name : String(i);
    found.push({kb: String(i), stop, html: el.outerHTML.slice(0, 90)});
  });
  return found;
}
"""

#: The focused control (or null on the page itself) and whether a ring shows where it is: an
#: outline or shadow on it, on the drawing beside a hidden input, or on its label.
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement || !document.hasFocus()) {
    return null;  // out of the page
  }
  // Between the parts of a date field Chromium reports the field without :focus for a Tab.
  if (!el.matches(':focus')) return {settling: true};
  const marked = x => {
    const s = getComputedStyle(x);
    if (s.opacity === '0') return false;  // a hidden input under its face or chip
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  };
  const near = [el, el.nextElementSibling, el.closest('label')].filter(Boolean);
  const s = getComputedStyle(el);
  return {kb: el.dataset.kb || null, visible: near.some(marked),
          html: `${el.outerHTML.slice(0, 90)} (outline ${s.outlineStyle} ${s.outlineWidth}, ` +
                `focus-visible ${el.matches(':focus-visible')})`};
}
"""

NEXT_FRAME_JS = "() => new Promise(done => requestAnimationFrame(() => done()))"


def tab_through(page, limit: int = 600) -> list[str]:
    """Tab from the top of the page to its end; fail on a control never reached or reached
    without a visible focus ring. Returns the stops in the order reached."""
    controls = page.evaluate(CONTROLS_JS)
    assert controls, "no control on the page"
    stops = {c["kb"]: c["stop"] for c in controls}
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    page.evaluate("() => window.scrollTo(0, 0)")
    reached: list[str] = []
    unringed: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        for _ in range(3):
            if not (focused or {}).get("settling"):
                break
            page.evaluate(NEXT_FRAME_JS)
            focused = page.evaluate(FOCUSED_JS)
        if focused and focused.get("settling"):
            continue  # still inside a date field, between its parts
        if focused is None or (reached and stops.get(focused["kb"]) == reached[0]):
            break  # out of the page, or round to the first control again
        assert focused["kb"] is not None, f"focus on something that is no control: {focused}"
        reached.append(stops[focused["kb"]])
        if not focused["visible"]:
            unringed.append(focused["html"])
    missing = [c["html"] for c in controls if c["stop"] not in set(reached)]
    assert not missing, f"{page.url}: controls the Tab key never reaches: {missing}"
    assert not unringed, f"{page.url}: focus without a visible ring on: {unringed}"
    return reached


def focus(page, selector: str, limit: int = 600) -> None:
    """Press Tab until the control matched by `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{selector} never got the focus by Tab on {page.url}")


def from_the_top(page) -> None:
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")


def _logged_in(browser, server, email: str, **options):
    """A person signed in with the keyboard alone."""
    context = browser.new_context(**{"viewport": LAPTOP, "locale": "vi-VN", **options})
    page = context.new_page()
    page.goto(server.url + "/login")
    focus(page, "#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return context, page


# -- the keyboard alone ----------------------------------------------------------------------------


def test_the_phone_survey_by_keyboard_alone(browser, seeded):
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.goto(seeded.url + receipt_survey_path(seeded, "000.00.00001.H40-261207-0951"))
    screens = 0
    while "/thanks" not in page.url:
        tab_through(page)
        from_the_top(page)
        if screens == 0:  # the question's player, by Space: its clip is fetched to play
            focus(page, "audio.listen")
            with page.expect_response(lambda r: "/voices/" in r.url) as clip:
                page.keyboard.press("Space")
            assert clip.value.status in (200, 206)
        names = page.evaluate(
            "() => [...new Set([...document.querySelectorAll('input[type=radio]')]"
            ".map(r => r.name))]"
        )
        for name in names:
            # Tab into the group, Space takes the first face, the right arrow the next one.
            focus(page, f"input[type=radio][name={name!r}]")
            group = page.locator(f"input[name={name!r}]")
            page.keyboard.press("Space")
            assert group.nth(0).is_checked(), name
            page.keyboard.press("ArrowRight")
            assert group.nth(1).is_checked(), name
        if page.locator("input[type=checkbox]").count():  # the last screen: reasons, comment
            focus(page, "input[type=checkbox]")
            page.keyboard.press("Space")
            assert page.locator("input[type=checkbox]:checked").count() == 1
            focus(page, "textarea")
            page.keyboard.type("Chờ hơi lâu")
        focus(page, "form button[type=submit]:not(.minor)")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        screens += 1
        if screens == 1:  # Back, a link, by Enter: the first screen again, then on
            focus(page, "a.btn.minor")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert "step=0" in page.url
            names = page.evaluate(
                "() => [...new Set([...document.querySelectorAll('input[type=radio]')]"
                ".map(r => r.name))]"
            )
            for name in names:
                focus(page, f"input[type=radio][name={name!r}]")
                page.keyboard.press("Space")
            focus(page, "form button[type=submit]:not(.minor)")
            with page.expect_navigation():
                page.keyboard.press("Enter")
        assert screens < 15
    assert screens >= 3
    assert page.locator("h1").count() == 1  # the thank-you page
    context.close()


def test_the_reports_by_keyboard_alone(browser, seeded):
    from collector.tasks import run_export

    # The province's report: its comments are more than their box shows.
    context, page = _logged_in(browser, seeded, DEMO_ADMIN)
    page.goto(seeded.url + "/reports?period=last")
    tab_through(page)

    # A summary opens its details with Enter.
    from_the_top(page)
    focus(page, "details.trend-figures > summary")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.querySelector('details.trend-figures').open")

    # The comments scroll in their own box: it takes the focus, and the arrow keys scroll it.
    from_the_top(page)
    comments = page.locator("ul.comments")
    assert comments.evaluate("u => u.scrollHeight > u.clientHeight")
    focus(page, "ul.comments")
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('ul.comments').scrollTop > 0")

    # Another period: the picker's lists by the arrow keys, sent with Enter.
    from_the_top(page)
    focus(page, "#pk")
    for _ in range(6):
        if page.evaluate("() => document.querySelector('#pk').value") == "month":
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.querySelector('#pk').value") == "month"
    focus(page, "select[name=pm]")
    page.keyboard.press("ArrowUp")
    month = int(page.evaluate("() => document.querySelector('select[name=pm]').value"))
    focus(page, "form.period-picker button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(rf"-{month:02d}$", page.locator(".period").get_attribute("data-period"))

    # The export by Enter; its page then shows the file ready in place, without a reload.
    from_the_top(page)
    focus(page, "form[action*='raw.xlsx'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("[data-state=queued]").count() == 1
    page.evaluate("() => { window.stillHere = true; }")
    run_export(seeded.app, page.url.split("?")[0].rsplit("/", 1)[1])
    page.locator("[data-state=done]").wait_for(timeout=15_000)
    assert page.evaluate("() => window.stillHere === true")
    assert page.locator("[data-refresh]").count() == 0
    tab_through(page)  # the download link, now there
    context.close()


#: Every tab of the administration.
ADMIN_TABS = (
    "/admin/units",
    "/admin/units/00007",
    "/admin/unit-import",
    "/admin/people",
    "/admin/kiosks",
    "/admin/integrations",
    "/admin/targets",
    "/admin/procedures",
    "/admin/audit",
)


def test_the_administration_by_keyboard_alone(browser, seeded):
    context, page = _logged_in(browser, seeded, DEMO_ADMIN)
    for path in ADMIN_TABS:
        page.goto(seeded.url + path)
        tab_through(page)

    # A branch of the unit tree closes and opens with Enter and Space.
    page.goto(seeded.url + "/admin/units")
    focus(page, "ul.tree summary")
    page.keyboard.press("Enter")
    assert not page.evaluate("() => document.querySelector('ul.tree details').open")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.querySelector('ul.tree details').open")

    # A person added with the keyboard: typed, chosen by the arrows, sent by Enter.
    page.goto(seeded.url + "/admin/people")
    focus(page, "input[name=email]")
    page.keyboard.type("ban.phim@demo.local")
    focus(page, "select[name=role]")
    for _ in range(6):
        if page.evaluate("() => document.querySelector('select[name=role]').value") == "viewer":
            break
        page.keyboard.press("ArrowDown")
    focus(page, "select[name=unit]")
    page.keyboard.press("ArrowDown")
    focus(page, "form[action$='/admin/people'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("code.secret").count() == 1
    page.goto(seeded.url + "/admin/people")
    assert page.locator("a", has_text="ban.phim@demo.local").count() == 1

    # A kiosk's label changed: the summary opens by Enter, the form is sent by Enter.
    page.goto(seeded.url + "/admin/kiosks")
    focus(page, "details > summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    field = page.evaluate("() => document.activeElement.name")
    assert field == "label"
    page.keyboard.press("Control+A")
    page.keyboard.type("Quầy bàn phím")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Quầy bàn phím").count() >= 1
    context.close()


# -- text at 200 % on the phone survey ------------------------------------------------------------

#: Whatever would lose or hide text: the page wider than the screen, text cut off by its box,
#: and two pieces of text over each other.
LAYOUT_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push(`page ${document.documentElement.scrollWidth} px wide for ${width}`);
  }
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.nodeValue.trim()) continue;
    const el = node.parentElement;
    if (el.closest('noscript, script, style, textarea, option')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      texts.push({r, el, text: node.nodeValue.trim().slice(0, 30)});
      if (r.right > width + 1 || r.left < -1) found.push(`off the screen: ${texts.at(-1).text}`);
    }
    for (let box = el; box && box !== document.body; box = box.parentElement) {
      const s = getComputedStyle(box);
      const clips = s.overflowX !== 'visible' || s.overflowY !== 'visible';
      const over = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (clips && over) {
        found.push(`cut off in <${box.tagName.toLowerCase()} class="${box.className}">: ` +
                   node.nodeValue.trim().slice(0, 30));
        break;
      }
    }
  }
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].r, b = texts[j].r;
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (x > 2 && y > 2 && texts[i].el !== texts[j].el) {
        found.push(`"${texts[i].text}" over "${texts[j].text}"`);
      }
    }
  }
  return [...new Set(found)];
}
"""


def _zoomed_pages(page, start: str) -> list[str]:
    """Through the phone survey from `start` to its thank-you page, checking each screen."""
    found = []
    page.goto(start)
    for step in range(15):
        found += [f"screen {step + 1}: {f}" for f in page.evaluate(LAYOUT_JS)]
        if "/thanks" in page.url:
            break
        radios = page.locator("input[type=radio]")
        for name in set(radios.evaluate_all("rs => rs.map(r => r.name)")):
            page.locator(f"label:has(> input[name={name!r}][value='4'])").click()
        with page.expect_navigation():
            page.locator("form button[type=submit]:not(.minor)").click()
    assert "/thanks" in page.url
    return found


def test_the_phone_survey_with_its_text_at_200_percent(browser, seeded):
    """The phone's largest font setting (the browser's default font size doubled, on which the
    survey's sizes are built), and a laptop's browser zoom at 200 % (half the CSS width, each
    CSS pixel two device pixels)."""
    found = []
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    start = seeded.url + receipt_survey_path(seeded, "000.00.00001.H40-261207-0961")
    found += [f"phone text x2: {f}" for f in _zoomed_pages(page, start)]
    body = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    context.close()
    assert body >= 32, f"the survey's text does not follow the font setting ({body} px)"

    zoom = {"width": LAPTOP["width"] // 2, "height": LAPTOP["height"] // 2}
    context = browser.new_context(viewport=zoom, device_scale_factor=2, locale="vi-VN")
    page = context.new_page()
    start = seeded.url + receipt_survey_path(seeded, "000.00.00001.H40-261207-0962")
    found += [f"laptop zoom 200 %: {f}" for f in _zoomed_pages(page, start)]
    context.close()
    assert not found, "\n".join(found)


# -- a kiosk ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    app = kiosk_app(
        tmp_path_factory.mktemp("access-kiosk"),
        OFFICE_NAME="Bộ phận Một cửa xã Minh Khai",
        THANKS_SECONDS=600,
        IDLE_TIMEOUT=600,
    )
    with LiveServer(app) as server:
        yield server


def _to_reasons(page, base: str) -> list[str]:
    """Through a kiosk survey, answering 1, to its reasons screen; the screens' addresses."""
    page.goto(base + "/c/1")
    with page.expect_navigation():
        page.locator("a.start").click()
    seen = []
    while "/reasons" not in page.url:
        seen.append(page.url)
        with page.expect_navigation():
            page.locator("button.answer[value='1']").click()
        assert len(seen) < 15
    return seen


# -- prefers-reduced-motion ------------------------------------------------------------------------

#: What moves: running animations, and elements whose transitions or animations last; then a
#: probe with a long transition and an endless animation, to show the style sheets cut them.
MOTION_JS = """
() => {
  const seconds = v => Math.max(...v.split(',').map(d => parseFloat(d) / (/ms/.test(d) ? 1e3 : 1)));
  const found = document.getAnimations().map(a => `running: ${a.animationName || 'a transition'}`);
  for (const el of document.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if (seconds(s.transitionDuration) > 0.001 || seconds(s.animationDuration) > 0.001) {
      found.push(`${el.tagName.toLowerCase()}.${el.className} moves`);
    }
  }
  const probe = document.createElement('div');
  probe.style.cssText = 'transition: opacity 2s; animation: probe 2s infinite';
  document.body.append(probe);
  const s = getComputedStyle(probe);
  if (seconds(s.transitionDuration) > 0.001) found.push(`a transition of ${s.transitionDuration}`);
  if (seconds(s.animationDuration) > 0.001) found.push(`an animation of ${s.animationDuration}`);
  if (s.animationIterationCount !== '1') found.push(`an animation ${s.animationIterationCount}`);
  if (getComputedStyle(document.documentElement).scrollBehavior !== 'auto') {
    found.push('smooth scrolling');
  }
  probe.remove();
  return found;
}
"""


def test_reduced_motion_is_honoured_everywhere(browser, seeded, kiosk):
    found = []
    context = browser.new_context(viewport=PHONE, locale="vi-VN", reduced_motion="reduce")
    page = context.new_page()

    def look(name: str) -> None:
        page.hover("body")
        found.extend(f"{name}: {f}" for f in page.evaluate(MOTION_JS))

    page.goto(kiosk.url + "/c/1")
    look("kiosk welcome")
    _to_reasons(page, kiosk.url)
    look("kiosk reasons")
    page.goto(seeded.url + receipt_survey_path(seeded, "000.00.00001.H40-261207-0971"))
    look("phone survey")
    page.goto(seeded.url + "/login")
    look("login")
    context.close()
    context, page = _logged_in(browser, seeded, DEMO_ADMIN, reduced_motion="reduce")
    page.goto(seeded.url + "/reports?period=last")
    look("report")
    page.goto(f"{seeded.url}/receipts/{seeded.spare}/slip")
    look("slip")
    context.close()
    assert not found, "\n".join(found)


# -- contrast of faces, chips and the focus ring ---------------------------------------------------

#: Each part that tells a face, a chip or the focus from what is beside it, with its contrast
#: ratio (WCAG 2.x relative luminance) and the least ratio it needs: 3:1 for drawings, borders
#: and rings (1.4.11), 4.5:1 for a label's text (1.4.3).
CONTRAST_JS = """
(what) => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).slice(0, 3).map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
    return Math.round((x + 0.05) / (y + 0.05) * 100) / 100;
  };
  const opaque = c => { const v = rgb(c); return v.length === 3 || v[3] === 1; };
  const behind = el => {
    for (let e = el; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (opaque(bg)) return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const style = (el, pseudo) => getComputedStyle(el, pseudo);
  const out = [];
  const add = (name, a, b, need) => out.push({name, ratio: ratio(a, b), need, a, b});
  const face = (svg, name) => {
    const circle = svg.querySelector('circle');
    const fill = style(circle).fill;
    add(`${name} outline`, style(circle).stroke, behind(svg.parentElement), 3);
    for (const part of svg.querySelectorAll('.eye, .mouth, .brow')) {
      const paint = part.classList.contains('eye') ? style(part).fill : style(part).stroke;
      add(`${name} ${part.getAttribute('class')}`, paint, fill, 3);
    }
  };
  document.querySelectorAll('svg.face').forEach((svg, i) => {
    if (i < 5) face(svg, `face ${svg.getAttribute('class')}`);
  });
  for (const sel of what.borders) {
    const el = document.querySelector(sel);
    if (el) add(`border of ${sel}`, style(el).borderTopColor, behind(el.parentElement), 3);
  }
  for (const sel of what.texts) {
    const el = document.querySelector(sel);
    if (el) add(`text of ${sel}`, style(el).color, behind(el), 4.5);
  }
  for (const sel of what.inside) {
    const el = document.querySelector(sel);
    if (!el) continue;
    add(`${sel} on its chip`, style(el).backgroundColor, behind(el.parentElement), 3);
    const tick = style(el, '::after');
    if (tick.content !== 'none' && tick.content !== 'normal') {
      add(`tick of ${sel}`, tick.borderRightColor, style(el).backgroundColor, 3);
    }
  }
  const focused = document.activeElement;
  if (what.ring && focused && focused !== document.body) {
    const ringed = [focused, focused.nextElementSibling, focused.closest('label')]
      .find(e => e && style(e).outlineStyle !== 'none' && style(e).opacity !== '0');
    if (ringed) add(`focus ring on ${ringed.tagName.toLowerCase()}`, style(ringed).outlineColor,
                    behind(ringed.parentElement), 3);
    else out.push({name: 'focus ring', ratio: 0, need: 3, a: 'none', b: ''});
  }
  return out;
}
"""


def _contrasts(page, *, borders=(), texts=(), inside=(), ring=False) -> list[str]:
    parts = page.evaluate(
        CONTRAST_JS,
        {"borders": list(borders), "texts": list(texts), "inside": list(inside), "ring": ring},
    )
    assert parts, page.url
    return [
        f"{page.url}: {p['name']} at {p['ratio']}:1 ({p['a']} on {p['b']}), needs {p['need']}:1"
        for p in parts
        if p["ratio"] < p["need"]
    ]


def test_the_faces_chips_and_focus_ring_contrast(browser, seeded, kiosk):
    found = []
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    page = context.new_page()
    page.goto(kiosk.url + "/c/1")
    with page.expect_navigation():
        page.locator("a.start").click()
    focus(page, "button.answer")
    found += _contrasts(
        page,
        borders=["button.answer", "button.no-opinion"],
        texts=["button.answer .label", "button.no-opinion"],
        ring=True,
    )
    _to_reasons(page, kiosk.url)
    found += _contrasts(page, borders=["label.chip", "label.chip .check"])
    focus(page, "label.chip input")
    page.keyboard.press("Space")
    found += _contrasts(
        page,
        borders=["label.chip", "textarea"],
        texts=["label.chip span:last-child"],
        inside=["label.chip:has(input:checked) .check"],
        ring=True,
    )
    tick = page.evaluate(
        "() => getComputedStyle(document.querySelector('label.chip:has(input:checked) .check'),"
        " '::after').content"
    )
    assert tick not in ("none", "normal"), "a chosen chip shows no tick"
    context.close()

    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.goto(seeded.url + receipt_survey_path(seeded, "000.00.00001.H40-261207-0981"))
    focus(page, "input[type=radio]")
    found += _contrasts(
        page, borders=["label.none"], texts=[".face-choice .label", "label.none span"], ring=True
    )
    page.keyboard.press("Space")
    found += _contrasts(page, borders=[".face-choice:has(input:checked)"])
    while page.locator("input[type=checkbox]").count() == 0:
        with page.expect_navigation():
            page.locator("form button[type=submit]:not(.minor)").click()
    focus(page, "input[type=checkbox]")
    page.keyboard.press("Space")
    found += _contrasts(
        page,
        borders=[".chip span", ".chip:has(input:checked) span", "textarea"],
        texts=[".chip span", ".chip:has(input:checked) span"],
        ring=True,
    )
    context.close()
    assert not found, "\n".join(found)
