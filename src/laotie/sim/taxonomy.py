"""The built-in category taxonomy, modelled on short-video platforms' two-level content trees.

``TAXONOMY`` maps each first-level category to its second-level ones, and each second-level
category to the nouns its titles are made of. ``KIND_ROOTS`` names the first-level category
that holds each container kind (series -> 短剧, novels -> 小说, games -> 小游戏).
"""

from __future__ import annotations

from dataclasses import dataclass

from laotie.core.kinds import ItemKind

TAXONOMY: dict[str, dict[str, tuple[str, ...]]] = {
    "美食": {
        "家常菜": ("红烧肉", "番茄炒蛋", "糖醋排骨", "酸菜鱼", "可乐鸡翅", "麻婆豆腐"),
        "探店": ("老字号面馆", "夜市烧烤", "网红火锅", "苍蝇小馆", "早茶点心", "街边煎饼"),
        "烘焙甜品": ("戚风蛋糕", "蛋挞", "提拉米苏", "牛角包", "芋泥麻薯", "曲奇"),
        "地方小吃": ("螺蛳粉", "肉夹馍", "热干面", "生煎包", "臭豆腐", "凉皮"),
    },
    "搞笑": {
        "段子": ("神回复", "冷笑话", "反转剧情", "社死现场", "谐音梗", "迷惑行为"),
        "情景喜剧": ("办公室日常", "宿舍生活", "相亲现场", "家庭聚会", "同学聚会", "面试现场"),
        "萌娃趣事": ("童言无忌", "小朋友吵架", "幼儿园日常", "熊孩子", "奶声奶气", "学说话"),
    },
    "影视": {
        "电影解说": ("悬疑大片", "科幻神作", "高分冷门片", "经典老电影", "动画电影", "犯罪片"),
        "剧集混剪": ("古装剧名场面", "都市剧高光", "甜宠剧合集", "反派高光", "名台词", "泪目瞬间"),
        "综艺": ("综艺名场面", "选秀舞台", "真人秀爆笑", "访谈金句", "游戏环节", "幕后花絮"),
    },
    "音乐": {
        "翻唱": ("经典老歌", "流行金曲", "粤语歌", "民谣", "古风歌曲", "情歌对唱"),
        "乐器演奏": ("钢琴", "吉他弹唱", "古筝", "小提琴", "架子鼓", "二胡"),
        "原创音乐": ("原创单曲", "说唱", "作曲日常", "编曲教程", "录音棚", "demo"),
    },
    "舞蹈": {
        "街舞": ("齐舞", "breaking", "popping", "街头battle", "编舞", "卡点"),
        "古典舞": ("水袖", "汉唐舞", "敦煌舞", "身韵", "扇子舞", "剑舞"),
        "手势舞": ("手势舞挑战", "爆款手势舞", "亲子手势舞", "节奏卡点", "抖肩舞", "可爱舞"),
    },
    "体育": {
        "篮球": ("三分绝杀", "扣篮集锦", "街球", "战术分析", "球星高光", "野球"),
        "足球": ("世界波", "任意球", "过人技巧", "进球集锦", "门将扑救", "赛事复盘"),
        "健身": ("居家燃脂", "马甲线", "增肌餐", "跳绳", "瑜伽", "拉伸"),
    },
    "汽车": {
        "新车评测": ("新能源车", "家用SUV", "紧凑型轿车", "MPV", "性能车", "皮卡"),
        "用车技巧": ("倒车入库", "侧方停车", "冬季用车", "保养误区", "省油技巧", "高速驾驶"),
        "改装": ("轮毂改装", "车内氛围灯", "贴膜", "音响升级", "露营改装", "老车翻新"),
    },
    "科技数码": {
        "手机评测": ("旗舰手机", "千元机", "折叠屏", "拍照对比", "续航测试", "系统更新"),
        "电脑装机": ("游戏主机", "办公本", "显卡", "机械键盘", "显示器", "NAS"),
        "AI工具": ("AI绘画", "AI写作", "AI剪辑", "数字人", "大模型", "AI配音"),
    },
    "时尚美妆": {
        "穿搭": ("通勤穿搭", "微胖穿搭", "秋冬外套", "小个子穿搭", "男生穿搭", "平价好物"),
        "美妆护肤": ("新手化妆", "底妆", "口红试色", "护肤步骤", "防晒", "发型"),
    },
    "萌宠": {
        "猫咪": ("橘猫", "布偶猫", "流浪猫", "小奶猫", "猫咪拆家", "猫咪洗澡"),
        "狗狗": ("柯基", "金毛", "柴犬", "边牧", "中华田园犬", "狗狗训练"),
        "异宠": ("仓鼠", "鹦鹉", "乌龟", "兔子", "龙猫", "小刺猬"),
    },
    "旅行": {
        "国内游": ("西藏自驾", "云南大理", "重庆夜景", "西安古城", "新疆独库", "厦门鼓浪屿"),
        "户外露营": ("露营装备", "徒步穿越", "野外做饭", "雪山露营", "海边帐篷", "房车生活"),
    },
    "三农": {
        "乡村生活": ("农家小院", "赶大集", "插秧", "摘果子", "杀年猪", "老家的饭"),
        "农技": ("果树嫁接", "大棚种植", "养鸡", "养鱼", "土壤改良", "农机操作"),
    },
    "知识": {
        "历史": ("三国", "唐朝", "宋朝", "明朝", "秦始皇", "丝绸之路"),
        "科普": ("宇宙", "黑洞", "恐龙", "人体", "天气", "海洋"),
        "职场": ("面试技巧", "升职加薪", "Excel", "汇报", "沟通", "副业"),
    },
    "情感": {
        "恋爱": ("异地恋", "暗恋", "分手", "相亲", "求婚", "婚后生活"),
        "家庭": ("婆媳关系", "父母", "兄弟姐妹", "育儿", "回家过年", "老人"),
    },
    "短剧": {
        "霸总甜宠": ("霸道总裁", "契约婚姻", "豪门千金", "闪婚", "替身", "萌宝"),
        "重生逆袭": ("重生", "逆袭", "打脸", "赘婿", "归来", "真假千金"),
        "古装宫斗": ("王妃", "皇后", "将军", "世子", "宫女", "太子"),
        "悬疑推理": ("密室", "失踪", "旧案", "替罪羊", "侦探", "真相"),
        "都市战神": ("战神", "兵王", "神医", "龙王", "保镖", "隐世高手"),
    },
    "小说": {
        "玄幻修仙": ("修仙", "剑宗", "灵根", "渡劫", "丹药", "秘境"),
        "都市言情": ("总裁", "白月光", "青梅竹马", "校草", "豪门", "先婚后爱"),
        "历史架空": ("大明", "大唐", "权臣", "状元", "边关", "布衣"),
        "科幻末世": ("末世", "星际", "机甲", "基地", "变异", "时间循环"),
    },
    "小游戏": {
        "休闲益智": ("消消乐", "拼图", "连连看", "数独", "华容道", "找不同"),
        "棋牌": ("斗地主", "象棋", "五子棋", "麻将", "围棋", "跳棋"),
        "角色扮演": ("修仙传", "三国志", "大侠", "江湖", "冒险岛", "召唤师"),
        "跑酷竞速": ("赛车", "跑酷", "飞车", "滑雪", "摩托", "极速"),
    },
}

KIND_ROOTS: dict[ItemKind, str] = {
    ItemKind.EPISODE: "短剧",
    ItemKind.CHAPTER: "小说",
    ItemKind.GAME: "小游戏",
}
CONTAINER_ROOTS = frozenset(KIND_ROOTS.values())


@dataclass(frozen=True)
class Category:
    """One second-level category: its index, path ``一级/二级`` and first-level index."""

    index: int
    path: str
    first: str
    second: str
    first_index: int


def categories() -> list[Category]:
    """Every second-level category in a fixed order (the simulator's dense category index)."""
    out: list[Category] = []
    for first_index, (first, seconds) in enumerate(TAXONOMY.items()):
        for second in seconds:
            out.append(Category(len(out), f"{first}/{second}", first, second, first_index))
    return out


def categories_under(first: str) -> list[Category]:
    """The second-level categories below first-level category ``first``."""
    return [c for c in categories() if c.first == first]


def video_categories() -> list[Category]:
    """Categories that hold plain videos (every first level except the container kinds)."""
    return [c for c in categories() if c.first not in CONTAINER_ROOTS]
