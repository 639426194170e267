"""Curated gym vocabulary: common movement names and their default catalog variants.

``MOVEMENTS`` maps what lifters *say* ("bench", "rdl", "lat pulldown") to catalog ids, one id per
equipment word the user may add ("db bench" -> dumbbell variant). The key ``None`` is the default
when no equipment is named. Phrases are normalised with :func:`text.norm_key`, so plurals,
hyphens and slang (db/bb/kb, ohp, rdl ...) are handled there and need not be listed here.

Every id is checked against the shipped catalog by the unit tests.
"""

from __future__ import annotations

# Equipment words recognised in queries -> canonical equipment key used below.
EQUIPMENT_WORDS: dict[str, str] = {
    "barbell": "barbell",
    "dumbbell": "dumbbell",
    "kettlebell": "kettlebell",
    "cable": "cable",
    "pulley": "cable",
    "rope": "cable",
    "machine": "machine",
    "leverage": "machine",
    "smith": "smith",
    "band": "band",
    "banded": "band",
    "ez": "ez",
    "bodyweight": "bodyweight",
}

# Catalog equipment field value(s) compatible with each canonical equipment key.
EQUIPMENT_FIELD: dict[str, frozenset[str]] = {
    "barbell": frozenset({"barbell"}),
    "dumbbell": frozenset({"dumbbell"}),
    "kettlebell": frozenset({"kettlebells"}),
    "cable": frozenset({"cable"}),
    "machine": frozenset({"machine"}),
    "smith": frozenset({"machine"}),
    "band": frozenset({"bands"}),
    "ez": frozenset({"e-z curl bar", "barbell"}),
    "bodyweight": frozenset({"body only", "other"}),
}

Variants = dict[str | None, str]

MOVEMENTS: list[tuple[tuple[str, ...], Variants]] = [
    # ---- chest -------------------------------------------------------------------------
    (
        (
            "bench",
            "bench press",
            "flat bench",
            "flat bench press",
            "flat press",
            "barbell bench",
            "chest bench press",
        ),
        {
            None: "Barbell_Bench_Press_-_Medium_Grip",
            "barbell": "Barbell_Bench_Press_-_Medium_Grip",
            "dumbbell": "Dumbbell_Bench_Press",
            "machine": "Machine_Bench_Press",
            "smith": "Smith_Machine_Bench_Press",
            "cable": "Cable_Chest_Press",
            "band": "Bench_Press_-_With_Bands",
            "kettlebell": "One-Arm_Kettlebell_Floor_Press",
        },
    ),
    (
        ("dumbbell press", "dumbbell chest press"),
        {None: "Dumbbell_Bench_Press"},
    ),
    (
        ("incline bench", "incline", "incline bench press", "incline press", "incline chest press"),
        {
            None: "Barbell_Incline_Bench_Press_-_Medium_Grip",
            "barbell": "Barbell_Incline_Bench_Press_-_Medium_Grip",
            "dumbbell": "Incline_Dumbbell_Press",
            "smith": "Smith_Machine_Incline_Bench_Press",
            "machine": "Leverage_Incline_Chest_Press",
            "cable": "Incline_Cable_Chest_Press",
        },
    ),
    (
        ("decline bench", "decline", "decline bench press", "decline press"),
        {
            None: "Decline_Barbell_Bench_Press",
            "barbell": "Decline_Barbell_Bench_Press",
            "dumbbell": "Decline_Dumbbell_Bench_Press",
            "smith": "Smith_Machine_Decline_Press",
            "machine": "Leverage_Decline_Chest_Press",
        },
    ),
    (
        (
            "close grip bench",
            "close grip bench press",
            "close grip press",
            "narrow grip bench",
            "tricep bench press",
        ),
        {
            None: "Close-Grip_Barbell_Bench_Press",
            "barbell": "Close-Grip_Barbell_Bench_Press",
            "dumbbell": "Close-Grip_Dumbbell_Press",
            "smith": "Smith_Machine_Close-Grip_Bench_Press",
            "ez": "Close-Grip_EZ-Bar_Press",
        },
    ),
    (
        ("wide grip bench", "wide grip bench press"),
        {None: "Wide-Grip_Barbell_Bench_Press"},
    ),
    (
        ("chest press", "machine press", "seated chest press"),
        {
            None: "Leverage_Chest_Press",
            "machine": "Leverage_Chest_Press",
            "cable": "Cable_Chest_Press",
            "dumbbell": "Dumbbell_Bench_Press",
            "barbell": "Barbell_Bench_Press_-_Medium_Grip",
            "band": "Bench_Press_-_With_Bands",
        },
    ),
    (
        ("floor press",),
        {
            None: "Floor_Press",
            "barbell": "Floor_Press",
            "dumbbell": "Dumbbell_Floor_Press",
            "kettlebell": "One-Arm_Kettlebell_Floor_Press",
        },
    ),
    (
        ("fly", "chest fly", "flat fly", "pec fly"),
        {
            None: "Dumbbell_Flyes",
            "dumbbell": "Dumbbell_Flyes",
            "cable": "Cable_Crossover",
            "machine": "Butterfly",
            "band": "Cross_Over_-_With_Bands",
        },
    ),
    (
        ("incline fly", "incline chest fly"),
        {
            None: "Incline_Dumbbell_Flyes",
            "dumbbell": "Incline_Dumbbell_Flyes",
            "cable": "Incline_Cable_Flye",
        },
    ),
    (
        ("decline fly",),
        {None: "Decline_Dumbbell_Flyes"},
    ),
    (
        ("cable crossover", "crossover", "cable fly", "cable chest fly", "cable cross"),
        {None: "Cable_Crossover"},
    ),
    (
        ("pecdeck", "pecdeck fly", "butterfly", "machine fly", "pec machine"),
        {None: "Butterfly"},
    ),
    (
        ("pushup", "regular pushup", "standard pushup", "normal pushup"),
        {None: "Pushups", "bodyweight": "Pushups"},
    ),
    (
        ("diamond pushup", "close grip pushup", "tricep pushup", "narrow pushup"),
        {None: "Push-Ups_-_Close_Triceps_Position"},
    ),
    (("wide pushup", "wide grip pushup"), {None: "Push-Up_Wide"}),
    (("decline pushup", "feet elevated pushup"), {None: "Decline_Push-Up"}),
    (("incline pushup",), {None: "Incline_Push-Up"}),
    (("clap pushup", "plyo pushup", "plyometric pushup"), {None: "Plyo_Push-up"}),
    (("handstand pushup",), {None: "Handstand_Push-Ups"}),
    (
        ("dip", "parallel bar dip", "tricep dip", "bar dip"),
        {
            None: "Dips_-_Triceps_Version",
            "bodyweight": "Dips_-_Triceps_Version",
            "machine": "Dip_Machine",
        },
    ),
    (("chest dip",), {None: "Dips_-_Chest_Version"}),
    (("bench dip",), {None: "Bench_Dips"}),
    (("weighted dip",), {None: "Dips_-_Triceps_Version"}),
    (("ring dip",), {None: "Ring_Dips"}),
    (
        ("pullover", "dumbbell pullover"),
        {None: "Straight-Arm_Dumbbell_Pullover", "barbell": "Bent-Arm_Barbell_Pullover"},
    ),
    # ---- back --------------------------------------------------------------------------
    (
        ("pullup", "wide grip pullup", "wide pullup", "strict pullup", "overhand pullup"),
        {None: "Pullups", "bodyweight": "Pullups", "band": "Band_Assisted_Pull-Up"},
    ),
    (("weighted pullup", "weighted pull"), {None: "Weighted_Pull_Ups"}),
    (("assisted pullup", "band assisted pullup"), {None: "Band_Assisted_Pull-Up"}),
    (("chinup", "chin", "underhand pullup", "supinated pullup"), {None: "Chin-Up"}),
    (("muscleup",), {None: "Muscle_Up"}),
    (
        (
            "lat pulldown",
            "pulldown",
            "lat pull",
            "wide grip lat pulldown",
            "wide grip pulldown",
            "front pulldown",
            "lat machine",
        ),
        {
            None: "Wide-Grip_Lat_Pulldown",
            "cable": "Wide-Grip_Lat_Pulldown",
            "machine": "Wide-Grip_Lat_Pulldown",
        },
    ),
    (
        ("close grip pulldown", "close grip lat pulldown", "narrow grip pulldown"),
        {None: "Close-Grip_Front_Lat_Pulldown"},
    ),
    (("vbar pulldown", "v bar pulldown"), {None: "V-Bar_Pulldown"}),
    (
        ("underhand pulldown", "reverse grip pulldown", "supinated pulldown"),
        {None: "Underhand_Cable_Pulldowns"},
    ),
    (
        ("single arm pulldown", "one arm pulldown", "one arm lat pulldown"),
        {None: "One_Arm_Lat_Pulldown"},
    ),
    (
        ("straight arm pulldown", "straight arm lat pulldown"),
        {None: "Straight-Arm_Pulldown", "cable": "Straight-Arm_Pulldown"},
    ),
    (
        ("row", "barbell row", "bent over row", "bent row", "bentover row", "pendlay row", "bor"),
        {
            None: "Bent_Over_Barbell_Row",
            "barbell": "Bent_Over_Barbell_Row",
            "dumbbell": "One-Arm_Dumbbell_Row",
            "cable": "Seated_Cable_Rows",
            "kettlebell": "One-Arm_Kettlebell_Row",
            "smith": "Smith_Machine_Bent_Over_Row",
            "machine": "Leverage_Iso_Row",
            "band": "Bent_Over_Barbell_Row",
        },
    ),
    (
        (
            "one arm row",
            "single arm row",
            "one arm dumbbell row",
            "single arm dumbbell row",
            "kroc row",
        ),
        {
            None: "One-Arm_Dumbbell_Row",
            "dumbbell": "One-Arm_Dumbbell_Row",
            "kettlebell": "One-Arm_Kettlebell_Row",
            "cable": "Seated_One-arm_Cable_Pulley_Rows",
        },
    ),
    (("bent over dumbbell row", "two arm dumbbell row"), {None: "Bent_Over_Two-Dumbbell_Row"}),
    (
        ("seated row", "cable row", "seated cable row", "low row", "machine row"),
        {None: "Seated_Cable_Rows", "cable": "Seated_Cable_Rows", "machine": "Leverage_Iso_Row"},
    ),
    (("tbar row", "tbar"), {None: "T-Bar_Row_with_Handle", "machine": "Lying_T-Bar_Row"}),
    (
        ("chest supported row", "incline row", "incline dumbbell row"),
        {None: "Dumbbell_Incline_Row"},
    ),
    (
        ("inverted row", "australian pullup", "body row", "bodyweight row", "ring row"),
        {None: "Inverted_Row"},
    ),
    (("high row",), {None: "Leverage_High_Row"}),
    (
        ("upright row",),
        {
            None: "Upright_Barbell_Row",
            "barbell": "Upright_Barbell_Row",
            "dumbbell": "Standing_Dumbbell_Upright_Row",
            "cable": "Upright_Cable_Row",
            "smith": "Smith_Machine_Upright_Row",
            "band": "Upright_Row_-_With_Bands",
        },
    ),
    (("face pull", "rope face pull"), {None: "Face_Pull"}),
    (
        ("deadlift", "conventional deadlift", "conventional", "barbell deadlift", "deadlift pull"),
        {
            None: "Barbell_Deadlift",
            "barbell": "Barbell_Deadlift",
            "dumbbell": "Stiff-Legged_Dumbbell_Deadlift",
            "band": "Deadlift_with_Bands",
            "cable": "Cable_Deadlifts",
            "machine": "Leverage_Deadlift",
            "kettlebell": "Kettlebell_One-Legged_Deadlift",
        },
    ),
    (("sumo deadlift", "sumo"), {None: "Sumo_Deadlift"}),
    (
        ("romanian deadlift", "romanian", "rdl"),
        {
            None: "Romanian_Deadlift",
            "barbell": "Romanian_Deadlift",
            "dumbbell": "Stiff-Legged_Dumbbell_Deadlift",
            "smith": "Smith_Machine_Stiff-Legged_Deadlift",
        },
    ),
    (
        ("stiff leg deadlift", "stiff legged deadlift", "straight leg deadlift"),
        {
            None: "Stiff-Legged_Barbell_Deadlift",
            "barbell": "Stiff-Legged_Barbell_Deadlift",
            "dumbbell": "Stiff-Legged_Dumbbell_Deadlift",
            "smith": "Smith_Machine_Stiff-Legged_Deadlift",
        },
    ),
    (("trap bar deadlift", "trap deadlift", "trap bar"), {None: "Trap_Bar_Deadlift"}),
    (("deficit deadlift",), {None: "Deficit_Deadlift"}),
    (("rack pull", "block pull"), {None: "Rack_Pulls"}),
    (
        ("single leg deadlift", "one leg deadlift", "single leg rdl"),
        {None: "Kettlebell_One-Legged_Deadlift"},
    ),
    (("good morning",), {None: "Good_Morning", "band": "Band_Good_Morning"}),
    (
        ("back extension", "hyperextension", "back raise", "hyper"),
        {None: "Hyperextensions_Back_Extensions"},
    ),
    (("reverse hyper", "reverse hyperextension"), {None: "Reverse_Hyperextension"}),
    (
        ("shrug", "trap shrug"),
        {
            None: "Barbell_Shrug",
            "barbell": "Barbell_Shrug",
            "dumbbell": "Dumbbell_Shrug",
            "cable": "Cable_Shrugs",
            "smith": "Smith_Machine_Behind_the_Back_Shrug",
            "machine": "Leverage_Shrug",
        },
    ),
    (("snatch grip deadlift",), {None: "Snatch_Deadlift"}),
    (("meadows row", "landmine row", "single arm landmine row"), {None: "One-Arm_Long_Bar_Row"}),
    (("seal row", "prone row", "bench row"), {None: "Lying_Cambered_Barbell_Row"}),
    (("neutral grip pullup", "hammer grip pullup", "parallel grip pullup"), {None: "V-Bar_Pullup"}),
    # ---- legs --------------------------------------------------------------------------
    (
        (
            "squat",
            "back squat",
            "barbell squat",
            "high bar squat",
            "low bar squat",
            "full squat",
            "barbell back squat",
            "ass to grass squat",
        ),
        {
            None: "Barbell_Full_Squat",
            "barbell": "Barbell_Full_Squat",
            "dumbbell": "Dumbbell_Squat",
            "kettlebell": "Goblet_Squat",
            "smith": "Smith_Machine_Squat",
            "machine": "Hack_Squat",
            "band": "Squats_-_With_Bands",
            "bodyweight": "Bodyweight_Squat",
        },
    ),
    (("air squat", "bodyweight squat"), {None: "Bodyweight_Squat"}),
    (
        ("front squat",),
        {
            None: "Front_Barbell_Squat",
            "barbell": "Front_Barbell_Squat",
            "kettlebell": "Front_Squats_With_Two_Kettlebells",
        },
    ),
    (("goblet squat",), {None: "Goblet_Squat"}),
    (("box squat",), {None: "Box_Squat"}),
    (("overhead squat",), {None: "Overhead_Squat"}),
    (("zercher squat",), {None: "Zercher_Squats"}),
    (
        ("hack squat",),
        {None: "Hack_Squat", "barbell": "Barbell_Hack_Squat", "machine": "Hack_Squat"},
    ),
    (("sumo squat", "plie squat"), {None: "Plie_Dumbbell_Squat"}),
    (
        ("pistol squat", "pistol", "single leg squat", "one leg squat"),
        {
            None: "Kettlebell_Pistol_Squat",
            "smith": "Smith_Machine_Pistol_Squat",
            "barbell": "One_Leg_Barbell_Squat",
        },
    ),
    (("jump squat", "squat jump"), {None: "Freehand_Jump_Squat", "barbell": "Weighted_Jump_Squat"}),
    (
        (
            "split squat",
            "bulgarian split squat",
            "bulgarian squat",
            "rear foot elevated split squat",
            "bulgarian",
        ),
        {
            None: "Split_Squat_with_Dumbbells",
            "dumbbell": "Split_Squat_with_Dumbbells",
            "smith": "Smith_Single-Leg_Split_Squat",
            "barbell": "Split_Squat_with_Dumbbells",
        },
    ),
    (
        ("lunge", "forward lunge", "static lunge"),
        {
            None: "Dumbbell_Lunges",
            "dumbbell": "Dumbbell_Lunges",
            "barbell": "Barbell_Lunge",
            "bodyweight": "Bodyweight_Walking_Lunge",
        },
    ),
    (
        ("walking lunge",),
        {
            None: "Bodyweight_Walking_Lunge",
            "barbell": "Barbell_Walking_Lunge",
            "dumbbell": "Dumbbell_Lunges",
            "bodyweight": "Bodyweight_Walking_Lunge",
        },
    ),
    (("reverse lunge", "rear lunge", "back lunge"), {None: "Dumbbell_Rear_Lunge"}),
    (
        ("stepup", "box stepup"),
        {None: "Dumbbell_Step_Ups", "dumbbell": "Dumbbell_Step_Ups", "barbell": "Barbell_Step_Ups"},
    ),
    (("leg press",), {None: "Leg_Press", "smith": "Smith_Machine_Leg_Press"}),
    (("leg extension", "quad extension", "knee extension"), {None: "Leg_Extensions"}),
    (
        ("leg curl", "hamstring curl", "lying leg curl", "ham curl"),
        {
            None: "Lying_Leg_Curls",
            "machine": "Lying_Leg_Curls",
            "band": "Seated_Band_Hamstring_Curl",
        },
    ),
    (("seated leg curl", "seated hamstring curl"), {None: "Seated_Leg_Curl"}),
    (("nordic curl", "nordic", "nordic hamstring curl"), {None: "Natural_Glute_Ham_Raise"}),
    (("glute ham raise",), {None: "Glute_Ham_Raise"}),
    (
        ("hip thrust", "barbell hip thrust", "glute thrust"),
        {
            None: "Barbell_Hip_Thrust",
            "barbell": "Barbell_Hip_Thrust",
            "smith": "Smith_Machine_Hip_Raise",
            "band": "Hip_Lift_with_Band",
        },
    ),
    (
        ("glute bridge", "hip bridge", "bridge"),
        {
            None: "Barbell_Glute_Bridge",
            "barbell": "Barbell_Glute_Bridge",
            "bodyweight": "Butt_Lift_Bridge",
        },
    ),
    (("single leg glute bridge", "single leg bridge"), {None: "Single_Leg_Glute_Bridge"}),
    (
        ("glute kickback", "kickback glute", "donkey kick"),
        {None: "Glute_Kickback", "cable": "One-Legged_Cable_Kickback"},
    ),
    (
        ("calf raise", "standing calf raise", "calf"),
        {
            None: "Standing_Calf_Raises",
            "machine": "Standing_Calf_Raises",
            "barbell": "Standing_Barbell_Calf_Raise",
            "dumbbell": "Standing_Dumbbell_Calf_Raise",
            "smith": "Smith_Machine_Calf_Raise",
            "band": "Calf_Raises_-_With_Bands",
        },
    ),
    (("seated calf raise",), {None: "Seated_Calf_Raise", "barbell": "Barbell_Seated_Calf_Raise"}),
    (("donkey calf raise",), {None: "Donkey_Calf_Raises"}),
    (("hip abduction", "abductor", "abduction machine", "hip abductor"), {None: "Thigh_Abductor"}),
    (
        ("hip adduction", "adductor", "adduction machine", "hip adductor"),
        {None: "Thigh_Adductor", "cable": "Cable_Hip_Adduction"},
    ),
    # ---- shoulders ----------------------------------------------------------------------
    (
        (
            "overhead press",
            "military press",
            "standing press",
            "standing overhead press",
            "strict press",
            "press",
            "barbell overhead press",
        ),
        {
            None: "Standing_Military_Press",
            "barbell": "Standing_Military_Press",
            "dumbbell": "Dumbbell_Shoulder_Press",
            "kettlebell": "Two-Arm_Kettlebell_Military_Press",
            "smith": "Smith_Machine_Overhead_Shoulder_Press",
            "machine": "Machine_Shoulder_Military_Press",
            "cable": "Cable_Shoulder_Press",
            "band": "Shoulder_Press_-_With_Bands",
        },
    ),
    (
        ("shoulder press", "seated shoulder press", "seated overhead press"),
        {
            None: "Barbell_Shoulder_Press",
            "barbell": "Barbell_Shoulder_Press",
            "dumbbell": "Dumbbell_Shoulder_Press",
            "kettlebell": "Kettlebell_Seated_Press",
            "smith": "Smith_Machine_Overhead_Shoulder_Press",
            "machine": "Leverage_Shoulder_Press",
            "cable": "Cable_Shoulder_Press",
            "band": "Shoulder_Press_-_With_Bands",
        },
    ),
    (("seated military press",), {None: "Seated_Barbell_Military_Press"}),
    (("seated dumbbell press",), {None: "Seated_Dumbbell_Press"}),
    (
        ("arnold press", "arnold"),
        {None: "Arnold_Dumbbell_Press", "kettlebell": "Kettlebell_Arnold_Press"},
    ),
    (("push press",), {None: "Push_Press", "kettlebell": "One-Arm_Kettlebell_Push_Press"}),
    (("behind the neck press", "behind neck press"), {None: "Standing_Barbell_Press_Behind_Neck"}),
    (("landmine press",), {None: "Landmine_Linear_Jammer"}),
    (
        (
            "lateral raise",
            "side raise",
            "side lateral raise",
            "lateral",
            "side lateral",
            "lat raise",
            "side delt raise",
            "lateral delt raise",
        ),
        {
            None: "Side_Lateral_Raise",
            "dumbbell": "Side_Lateral_Raise",
            "cable": "Cable_Seated_Lateral_Raise",
            "band": "Lateral_Raise_-_With_Bands",
        },
    ),
    (
        ("front raise", "front delt raise"),
        {
            None: "Front_Dumbbell_Raise",
            "dumbbell": "Front_Dumbbell_Raise",
            "cable": "Front_Cable_Raise",
            "barbell": "Standing_Front_Barbell_Raise_Over_Head",
        },
    ),
    (("plate raise", "front plate raise"), {None: "Front_Plate_Raise"}),
    (
        (
            "rear delt fly",
            "reverse fly",
            "rear fly",
            "rear delt raise",
            "bent over raise",
            "rear delt",
            "reverse pecdeck",
        ),
        {
            None: "Reverse_Flyes",
            "dumbbell": "Reverse_Flyes",
            "cable": "Cable_Rear_Delt_Fly",
            "machine": "Reverse_Machine_Flyes",
            "band": "Back_Flyes_-_With_Bands",
        },
    ),
    (("rear delt row",), {None: "Barbell_Rear_Delt_Row", "cable": "Cable_Rope_Rear-Delt_Rows"}),
    (("band pull apart", "pull apart"), {None: "Band_Pull_Apart"}),
    (
        ("external rotation",),
        {
            None: "External_Rotation",
            "band": "External_Rotation_with_Band",
            "cable": "External_Rotation_with_Cable",
        },
    ),
    (("cuban press",), {None: "Cuban_Press"}),
    # ---- arms --------------------------------------------------------------------------
    (
        ("curl", "bicep curl", "arm curl", "standing curl", "standing bicep curl"),
        {
            None: "Barbell_Curl",
            "barbell": "Barbell_Curl",
            "dumbbell": "Dumbbell_Bicep_Curl",
            "cable": "Standing_Biceps_Cable_Curl",
            "ez": "EZ-Bar_Curl",
            "machine": "Machine_Bicep_Curl",
            "band": "Close-Grip_EZ-Bar_Curl_with_Band",
            "kettlebell": "Dumbbell_Bicep_Curl",
        },
    ),
    (
        (
            "alternating curl",
            "alternate curl",
            "alternating bicep curl",
            "alternating dumbbell curl",
        ),
        {None: "Dumbbell_Alternate_Bicep_Curl"},
    ),
    (
        ("hammer curl", "hammer", "neutral grip curl", "rope curl"),
        {
            None: "Hammer_Curls",
            "dumbbell": "Hammer_Curls",
            "cable": "Cable_Hammer_Curls_-_Rope_Attachment",
            "machine": "Hammer_Curls",
        },
    ),
    (
        ("preacher curl", "preacher", "scott curl"),
        {
            None: "Preacher_Curl",
            "barbell": "Preacher_Curl",
            "ez": "Preacher_Curl",
            "dumbbell": "One_Arm_Dumbbell_Preacher_Curl",
            "machine": "Machine_Preacher_Curls",
            "cable": "Cable_Preacher_Curl",
        },
    ),
    (("concentration curl",), {None: "Concentration_Curls"}),
    (("incline curl", "incline dumbbell curl"), {None: "Incline_Dumbbell_Curl"}),
    (("spider curl",), {None: "Spider_Curl"}),
    (("drag curl",), {None: "Drag_Curl"}),
    (
        ("reverse curl", "reverse grip curl"),
        {
            None: "Reverse_Barbell_Curl",
            "dumbbell": "Standing_Dumbbell_Reverse_Curl",
            "cable": "Reverse_Cable_Curl",
        },
    ),
    (("zottman curl",), {None: "Zottman_Curl"}),
    (
        ("wrist curl", "forearm curl"),
        {
            None: "Palms-Up_Barbell_Wrist_Curl_Over_A_Bench",
            "dumbbell": "Palms-Up_Dumbbell_Wrist_Curl_Over_A_Bench",
            "cable": "Cable_Wrist_Curl",
        },
    ),
    (("reverse wrist curl",), {None: "Palms-Down_Wrist_Curl_Over_A_Bench"}),
    (
        (
            "skullcrusher",
            "lying tricep extension",
            "lying extension",
            "lying tricep press",
            "french press",
            "nose breaker",
        ),
        {
            None: "EZ-Bar_Skullcrusher",
            "ez": "EZ-Bar_Skullcrusher",
            "barbell": "EZ-Bar_Skullcrusher",
            "dumbbell": "Lying_Dumbbell_Tricep_Extension",
            "cable": "Cable_Lying_Triceps_Extension",
            "band": "Band_Skull_Crusher",
        },
    ),
    (
        (
            "tricep pushdown",
            "pushdown",
            "cable pushdown",
            "tricep pressdown",
            "tricep extension cable",
        ),
        {None: "Triceps_Pushdown", "cable": "Triceps_Pushdown"},
    ),
    (
        ("rope pushdown", "tricep rope pushdown", "rope tricep pushdown"),
        {None: "Triceps_Pushdown_-_Rope_Attachment"},
    ),
    (("vbar pushdown", "v bar pushdown"), {None: "Triceps_Pushdown_-_V-Bar_Attachment"}),
    (("reverse grip pushdown",), {None: "Reverse_Grip_Triceps_Pushdown"}),
    (
        (
            "overhead tricep extension",
            "overhead extension",
            "tricep extension",
            "overhead tricep",
            "french extension",
        ),
        {
            None: "Standing_Dumbbell_Triceps_Extension",
            "dumbbell": "Standing_Dumbbell_Triceps_Extension",
            "cable": "Cable_Rope_Overhead_Triceps_Extension",
            "barbell": "Standing_Overhead_Barbell_Triceps_Extension",
            "ez": "Standing_Overhead_Barbell_Triceps_Extension",
            "machine": "Machine_Triceps_Extension",
            "band": "Speed_Band_Overhead_Triceps",
        },
    ),
    (("tricep kickback", "kickback", "dumbbell kickback"), {None: "Tricep_Dumbbell_Kickback"}),
    (("jm press",), {None: "JM_Press"}),
    (("tate press",), {None: "Tate_Press"}),
    # ---- core --------------------------------------------------------------------------
    (
        ("crunch", "ab crunch", "regular crunch"),
        {None: "Crunches", "cable": "Cable_Crunch", "machine": "Ab_Crunch_Machine"},
    ),
    (("cable crunch", "kneeling cable crunch", "rope crunch"), {None: "Cable_Crunch"}),
    (("reverse crunch",), {None: "Reverse_Crunch"}),
    (("situp",), {None: "Sit-Up"}),
    (("decline situp", "decline crunch"), {None: "Decline_Crunch"}),
    (("plank", "front plank", "forearm plank"), {None: "Plank"}),
    (("side plank", "side bridge"), {None: "Side_Bridge"}),
    (
        ("hanging leg raise", "leg raise hanging", "hanging knee raise", "toes to bar"),
        {None: "Hanging_Leg_Raise"},
    ),
    (("leg raise", "lying leg raise", "flat leg raise"), {None: "Flat_Bench_Lying_Leg_Raise"}),
    (("russian twist",), {None: "Russian_Twist", "cable": "Cable_Russian_Twists"}),
    (
        ("ab wheel", "ab rollout", "rollout", "ab roller", "wheel rollout"),
        {None: "Ab_Roller", "barbell": "Barbell_Ab_Rollout"},
    ),
    (("mountain climber",), {None: "Mountain_Climbers"}),
    (("dead bug",), {None: "Dead_Bug"}),
    (("pallof press",), {None: "Pallof_Press"}),
    (
        ("wood chop", "woodchop", "cable woodchop", "cable wood chop"),
        {None: "Standing_Cable_Wood_Chop"},
    ),
    (("side bend", "oblique bend"), {None: "Dumbbell_Side_Bend", "barbell": "Barbell_Side_Bend"}),
    (("flutter kick",), {None: "Flutter_Kicks"}),
    (("superman",), {None: "Superman"}),
    (("vup", "v up", "jackknife situp", "jackknife"), {None: "Jackknife_Sit-Up"}),
    (("oblique crunch", "bicycle crunch", "cross body crunch"), {None: "Oblique_Crunches"}),
    # ---- olympic / power / conditioning ------------------------------------------------
    (("power clean",), {None: "Power_Clean", "smith": "Smith_Machine_Hang_Power_Clean"}),
    (
        ("clean", "squat clean", "full clean"),
        {None: "Clean", "dumbbell": "Dumbbell_Clean", "kettlebell": "One-Arm_Kettlebell_Clean"},
    ),
    (("hang clean",), {None: "Hang_Clean", "kettlebell": "Kettlebell_Hang_Clean"}),
    (
        ("clean and jerk", "clean jerk"),
        {None: "Clean_and_Jerk", "kettlebell": "One-Arm_Kettlebell_Clean_and_Jerk"},
    ),
    (("clean and press",), {None: "Clean_and_Press"}),
    (
        ("snatch", "squat snatch", "full snatch"),
        {None: "Snatch", "dumbbell": "Dumbbell_Raise", "kettlebell": "One-Arm_Kettlebell_Snatch"},
    ),
    (("power snatch",), {None: "Power_Snatch"}),
    (("hang snatch",), {None: "Hang_Snatch"}),
    (("jerk", "split jerk"), {None: "Split_Jerk", "kettlebell": "One-Arm_Kettlebell_Jerk"}),
    (("push jerk", "power jerk"), {None: "Power_Jerk"}),
    (("thruster",), {None: "Kettlebell_Thruster"}),
    (
        ("kettlebell swing", "swing", "russian swing", "american swing"),
        {None: "One-Arm_Kettlebell_Swings"},
    ),
    (
        ("turkish getup", "turkish get", "tgu", "getup"),
        {None: "Kettlebell_Turkish_Get-Up_Squat_style"},
    ),
    (("farmer walk", "farmer carry", "farmer", "loaded carry", "carry"), {None: "Farmers_Walk"}),
    (("box jump",), {None: "Front_Box_Jump"}),
    (("tire flip",), {None: "Tire_Flip"}),
    (("sled push", "prowler push", "prowler"), {None: "Sled_Push"}),
    (("sled drag", "sled pull"), {None: "Sled_Drag_-_Harness"}),
    (("battle rope", "battling rope", "battle ropes"), {None: "Battling_Ropes"}),
    (("medicine ball slam", "ball slam", "slam ball", "med ball slam"), {None: "Overhead_Slam"}),
    (("rope climb",), {None: "Rope_Climb"}),
    (("star jump", "jumping jack"), {None: "Star_Jump"}),
]
