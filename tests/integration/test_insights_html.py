"""The HTML insights report in headless Chromium: one offline file whose plots are drawn (duration with the
baseline band and every flagged run of the plotted series, failure rate, top signatures), with no console error
and no request leaving the page."""
from __future__ import annotations

from io import BytesIO

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.insights.generator import generate, write_github
from cdktf_app.insights.service import import_github, load_insights
from tests.integration.test_visualize_blueprints import browser  # noqa: F401 (the shared Chromium fixture)


def test_the_html_report_draws_its_plots_offline(browser, tmp_path):  # noqa: F811
    from PIL import Image

    write_github(generate(8), tmp_path / "export")
    import_github(tmp_path, "acme/shop", tmp_path / "export")
    page_file = tmp_path / "insights.html"
    result = CliRunner().invoke(cli, ["insights", "report", "--project", str(tmp_path), "--output", "html",
                                      "-o", str(page_file)])
    assert result.exit_code == 0, result.output
    found = load_insights(tmp_path)

    context = browser.new_context(viewport={"width": 1100, "height": 900}, offline=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: problems.append(request.url) if not request.url.startswith("file:") else None)
    page.goto(page_file.as_uri())

    plotted = page.locator("svg.duration").count()
    judged = sum(any(band.median is not None for band in bands) for bands in found.bands.values())
    assert plotted == min(6, judged) == 5  # main's five jobs; feature branches are too short for a baseline
    flags = page.locator("svg.duration circle.flag").count()
    expected = {(f.subject, f.run_id) for f in found.findings if f.kind in ("duration", "level_shift")}
    assert 0 < flags <= len(expected)
    assert page.locator("svg.duration polygon.band").count() == plotted
    assert page.locator("svg.failure-rate polyline.rate").count() == 2  # one per workflow
    assert page.locator("svg.signatures rect.bar").count() == min(8, len(found.signatures))
    durations = sum(f.kind == "duration" for f in found.findings)
    assert f"{durations} duration" in page.inner_text("#summary")
    shot = Image.open(BytesIO(page.locator("svg.duration").first.screenshot())).convert("RGB")
    colours = shot.getcolors(maxcolors=1 << 20) or []
    background = max(colours)[1]
    drawn = sum(count for count, colour in colours if colour != background)
    assert drawn > 0.05 * shot.width * shot.height, "the duration plot is not visible"
    assert any(colour[0] > 200 and colour[1] < 80 and colour[2] < 80 for _, colour in colours), "no red flag drawn"
    assert problems == []
    context.close()
