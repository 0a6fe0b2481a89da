/**
 * 疑似重复人员 — pairs of members in different households with the same birth date and the
 * same (or a same-sounding) name; the reviewer keeps one and removes the other as a duplicate
 * (both households keep their history), or marks them as different people.
 */
import { App, Button, Card, Popconfirm, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { useI18n } from "../../i18n/i18n.tsx";

interface Member {
  memberId: number;
  name: string;
  idNumber: string;
  birthDate: string;
  relationship: string | null;
  householdNumber: string;
  villageName: string;
}
interface Pair {
  kind: "same_name_birth" | "homophone";
  a: Member;
  b: Member;
}

const TEXT = {
  zh: {
    menu: "疑似重复",
    title: "疑似重复人员核查",
    intro:
      "不同户中出生日期相同、姓名相同或仅同音字不同的在册成员。核实后：是同一人则保留一条、把另一条按“重复录入”减员（两户的历史都保留）；不是同一人则标记为不同人，不再提示。",
    kinds: { same_name_birth: "姓名、出生日期相同", homophone: "同音姓名、出生日期相同" },
    member: "成员",
    keepA: "保留左侧，删除右侧",
    keepB: "保留右侧，删除左侧",
    dismiss: "不是同一人",
    sure: "确定合并？被删除的成员将按“重复录入”减员",
    merged: "已合并",
    dismissed: "已标记为不同人",
    none: "没有疑似重复人员",
  },
  en: {
    menu: "Duplicates",
    title: "Likely duplicate members",
    intro:
      "Members of different households born the same day whose names are equal or sound alike. Keep one and remove the other as a duplicate (both histories are kept), or mark them as different people.",
    kinds: {
      same_name_birth: "Same name and birth date",
      homophone: "Same-sounding name, same birth date",
    },
    member: "Member",
    keepA: "Keep left, remove right",
    keepB: "Keep right, remove left",
    dismiss: "Different people",
    sure: "Merge? The removed member is recorded as a duplicate entry",
    merged: "Merged",
    dismissed: "Marked as different people",
    none: "No likely duplicates",
  },
};

export function useDuplicatesText() {
  const { lang } = useI18n();
  return lang === "en" ? TEXT.en : TEXT.zh;
}

function MemberCell({ m }: { m: Member }) {
  return (
    <Space direction="vertical" size={0}>
      <strong>{m.name}</strong>
      <span>
        {m.birthDate} · {m.idNumber}
      </span>
      <span>
        <Link to={`/households/${m.householdNumber}`}>{m.householdNumber}</Link> · {m.villageName}
        {m.relationship ? ` · ${m.relationship}` : ""}
      </span>
    </Space>
  );
}

export function DuplicatesPage() {
  const x = useDuplicatesText();
  const { message } = App.useApp();
  const showError = useApiError();
  const [pairs, setPairs] = useState<Pair[] | null>(null);

  const load = useCallback(() => {
    api
      .get<{ items: Pair[] }>("/api/duplicates")
      .then((r) => setPairs(r.items))
      .catch((e: unknown) => showError(e));
  }, [showError]);
  useEffect(load, [load]);

  const act = async (path: string, body: unknown, done: string) => {
    try {
      await api.post(path, body);
      message.success(done);
      load();
    } catch (e) {
      showError(e);
    }
  };

  return (
    <div className="page" data-testid="duplicates-page">
      <Typography.Title level={4}>{x.title}</Typography.Title>
      <Typography.Paragraph type="secondary">{x.intro}</Typography.Paragraph>
      <Card className="page__card">
        <Table
          rowKey={(p) => `${p.a.memberId}:${p.b.memberId}`}
          data-testid="duplicate-pairs"
          loading={pairs === null}
          dataSource={pairs ?? []}
          locale={{ emptyText: x.none }}
          columns={[
            {
              title: "",
              dataIndex: "kind",
              width: 170,
              render: (k: Pair["kind"]) => (
                <Tag color={k === "same_name_birth" ? "red" : "orange"}>{x.kinds[k]}</Tag>
              ),
            },
            { title: x.member, key: "a", render: (_: unknown, p: Pair) => <MemberCell m={p.a} /> },
            { title: x.member, key: "b", render: (_: unknown, p: Pair) => <MemberCell m={p.b} /> },
            {
              title: "",
              key: "actions",
              render: (_: unknown, p: Pair) => (
                <Space direction="vertical">
                  <Popconfirm
                    title={x.sure}
                    onConfirm={() =>
                      act(
                        "/api/duplicates/merge",
                        { keep: p.a.memberId, remove: p.b.memberId },
                        x.merged,
                      )
                    }
                  >
                    <Button size="small" data-testid="merge-keep-a">
                      {x.keepA}
                    </Button>
                  </Popconfirm>
                  <Popconfirm
                    title={x.sure}
                    onConfirm={() =>
                      act(
                        "/api/duplicates/merge",
                        { keep: p.b.memberId, remove: p.a.memberId },
                        x.merged,
                      )
                    }
                  >
                    <Button size="small" data-testid="merge-keep-b">
                      {x.keepB}
                    </Button>
                  </Popconfirm>
                  <Button
                    size="small"
                    type="dashed"
                    data-testid="dismiss"
                    onClick={() =>
                      act(
                        "/api/duplicates/dismiss",
                        { a: p.a.memberId, b: p.b.memberId },
                        x.dismissed,
                      )
                    }
                  >
                    {x.dismiss}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      </Card>
    </div>
  );
}
