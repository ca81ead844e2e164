import json, time
from tests.report.conftest import NOW, MONTH
from hotline.report.data import monthly
from hotline.scores import parse_period

async def test_smoke(history, pool, settings):
    print(history)
    async with pool.acquire() as conn:
        t=time.time()
        r = await monthly(conn, settings, parse_period(MONTH), NOW)
        print("report s", time.time()-t)
    print(json.dumps({k: r[k] for k in ("summary","comparison","trend")}, ensure_ascii=False, indent=1))
    print(json.dumps(r["early_warnings"], ensure_ascii=False)[:800])
    print(json.dumps(r["rankings"]["district"], ensure_ascii=False)[:1500])
    print(json.dumps(r["supervised"], ensure_ascii=False)[:600])
