"""Citizens' calls written for the tests (never taken from real data or from the bootstrap corpus)."""

from __future__ import annotations

# A noise complaint at 柳岸花园, which the demo city routes to 柳岸社区 (DH-S1-C1).
NOISE_CALL = {
    "type": "complaint",
    "channel": "phone",
    "content": "柳岸花园 3 栋楼下的烧烤店每天营业到凌晨两点，噪音很大，老人孩子都睡不着，希望尽快处理。",
    "address": "东湖区青山街道柳岸花园3栋",
    "caller_phone": "13812341234",
    "caller_name": "王建国",
    "category_code": "NOISE",
}

# A property-fee complaint at 柳岸花园: the demo table gives it to 柳岸社区, with 东湖区住建局 co-handling.
PROPERTY_CALL = {
    "type": "complaint",
    "channel": "phone",
    "content": "柳岸花园物业公司今年突然把物业费从每平米一块二涨到两块，业主都不同意，希望有关部门管一管。",
    "address": "东湖区青山街道柳岸花园3栋",
    "caller_phone": "13812345678",
    "category_code": "PROPERTY",
}

# Typical calls and their category, for the classifier (test_bootstrap checks they are not in the corpus).
CLASSIFIER_CALLS = [
    ("夜里一点多楼下大排档还在划拳喝酒，吵得全家人睡不着觉", "噪音扰民"),
    ("我在一家餐厅打工，老板两个月没给我发薪水了，现在人也找不到", "劳资纠纷"),
    ("我们这条街的路灯全黑了，晚上走路什么都看不见", "市政设施"),
    ("孩子今年六岁，想问一下小学一年级报名要带哪些证件", "教育就学"),
    ("物业公司今年突然把物业费从每平米一块二涨到两块，业主都不同意", "物业管理"),
    ("隔壁那户人家在院子里违规盖了一间砖房，把消防通道都堵死了", "私搭乱建"),
    ("在一家服装店买衣服，标签上写的打五折，结账时却按原价收的，这不是价格欺诈吗", "消费维权"),
    ("我们整栋楼从昨天晚上停水到现在，一点通知都没有", "水电气暖"),
    ("化工厂排出来的废水把小河都染黑了，臭得不行", "环境污染"),
    ("2路公交车经常半个小时都不来一趟，司机还不报站", "公共交通"),
    ("十字路口的信号灯一直闪黄灯，车辆乱成一团差点撞人", "道路交通"),
    ("我母亲七十多岁一个人生活，没有收入，想问怎么申请最低生活保障", "社会救助"),
    ("单位一直没给我交养老保险，我想查一下缴费记录", "社会保险"),
]

# (address, category, text, how many), all within the last hour: a place cluster in 东湖区, one in 南江区,
# and a text cluster from a community of 东湖区 and one of 西岭区. The early-warning scan finds three.
CLUSTER_CALLS = [
    ("东湖区青山街道柳岸花园3栋", "NOISE", "柳岸花园3栋楼下烧烤店凌晨两点还在营业，噪音很大。", 5),
    ("南江区江湾街道江湾一号", "UTILITIES", "江湾一号整栋楼停水一上午了，一直没有通知。", 5),
    ("东湖区桂花街道桂园新村", "TRAFFIC", "地铁施工围挡把人行道占了，行人只能走机动车道，太危险。", 3),
    ("西岭区白云街道白云山庄", "TRAFFIC", "地铁施工围挡把人行道占了，行人只能走机动车道，太危险！", 2),
]


def cluster_calls(phone_prefix: str) -> list[dict[str, str]]:
    """CLUSTER_CALLS as ticket bodies, each from its own caller (`phone_prefix` + 4 digits)."""
    return [
        {
            "type": "complaint",
            "content": text,
            "address": address,
            "category_code": category,
            "caller_phone": f"{phone_prefix}{n}{i:03d}",
        }
        for n, (address, category, text, count) in enumerate(CLUSTER_CALLS)
        for i in range(count)
    ]
