/**
 * 公示公告 — the notices and announcements of the region: posting a village's notice for cases
 * at their notice step, the printable A4 notice, the village's public page and the objections.
 */
import { GlobalOutlined, NotificationOutlined, PrinterOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Empty, Space, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useCasesText } from "../cases/cases.i18n.ts";
import {
  type CaseListItem,
  casesApi,
  type NoticeBatchItem,
  type Objection,
} from "../cases/cases-api.ts";
import { ObjectionsTable } from "../cases/objections.tsx";
import { PostNoticeModal } from "../cases/post-notice-modal.tsx";
import { useApiError } from "../components/use-api-error.tsx";
import { rootRegionOf, useUser } from "../session/session.tsx";

export function NoticeBatchesPage() {
  const c = useCasesText();
  const user = useUser();
  const showError = useApiError();
  const [params] = useSearchParams();
  const region = params.get("region") ?? rootRegionOf(user);
  const [items, setItems] = useState<NoticeBatchItem[] | null>(null);
  const [candidates, setCandidates] = useState<CaseListItem[]>([]);
  const [posting, setPosting] = useState(false);
  const [tick, setTick] = useState(0);
  const canPost = user.can.includes("notice.manage") && ["village", "admin"].includes(user.role);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    casesApi
      .batches(region, ctrl.signal)
      .then((r) => setItems(r.items))
      .catch((e: unknown) => {
        showError(e);
        if (!ctrl.signal.aborted) setItems([]);
      });
    if (canPost)
      casesApi
        .list({ region, step: "notice", status: "open", limit: 500 }, ctrl.signal)
        .then((r) => setCandidates(r.items.filter((x) => x.status === "active")))
        .catch(() => !ctrl.signal.aborted && setCandidates([]));
    return () => ctrl.abort();
  }, [region, canPost, showError, tick]);

  return (
    <div className="page">
      <Card
        className="page__card"
        title={c.noticesTitle}
        extra={
          canPost && (
            <Button
              type="primary"
              icon={<NotificationOutlined />}
              onClick={() => setPosting(true)}
              data-testid="start-batch"
            >
              {c.startBatch}
            </Button>
          )
        }
      >
        <Alert type="info" showIcon title={c.noticesIntro} className="notices-intro" />
        <Table<NoticeBatchItem>
          rowKey="id"
          size="small"
          bordered
          loading={items === null}
          dataSource={items ?? []}
          pagination={false}
          locale={{ emptyText: <Empty description={c.noBatches} /> }}
          expandable={{
            expandedRowRender: (b) => <BatchObjections batch={b.id} />,
            rowExpandable: (b) => b.kind === "notice",
            columnWidth: 36,
          }}
          data-testid="notice-batches"
          columns={[
            { title: c.batchColumns.title, dataIndex: "title" },
            {
              title: c.batchColumns.kind,
              dataIndex: "kind",
              width: 80,
              render: (v: string) => (
                <Tag color={v === "notice" ? "blue" : "purple"}>{c.kinds[v]}</Tag>
              ),
            },
            {
              title: c.batchColumns.period,
              key: "period",
              width: 200,
              render: (_: unknown, b) => (
                <span className="num">
                  {b.startsOn} ~ {b.endsOn}
                </span>
              ),
            },
            {
              title: c.batchColumns.state,
              dataIndex: "active",
              width: 90,
              render: (v: boolean) =>
                v ? <Tag color="processing">{c.active}</Tag> : <Tag>{c.ended}</Tag>,
            },
            {
              title: c.batchColumns.actions,
              key: "actions",
              width: 220,
              render: (_: unknown, b) => (
                <Space size={4}>
                  <Button
                    size="small"
                    type="link"
                    icon={<PrinterOutlined />}
                    href={casesApi.printUrl(b.id)}
                    target="_blank"
                  >
                    {c.print}
                  </Button>
                  <Button
                    size="small"
                    type="link"
                    icon={<GlobalOutlined />}
                    href={casesApi.publicUrl(b.villageCode)}
                    target="_blank"
                  >
                    {c.publicPage}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <PostNoticeModal
        open={posting}
        candidates={candidates}
        onClose={() => setPosting(false)}
        onPosted={() => setTick((n) => n + 1)}
      />
    </div>
  );
}

function BatchObjections({ batch }: { batch: number }) {
  const c = useCasesText();
  const user = useUser();
  const [items, setItems] = useState<Objection[] | null>(null);
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick asks for a reload
  useEffect(() => {
    const ctrl = new AbortController();
    casesApi
      .batchObjections(batch, ctrl.signal)
      .then((r) => setItems(r.items))
      .catch(() => !ctrl.signal.aborted && setItems([]));
    return () => ctrl.abort();
  }, [batch, tick]);
  if (items === null) return null;
  return (
    <div className="batch-objections">
      <Typography.Text strong>{c.objections}</Typography.Text>
      <ObjectionsTable
        items={items}
        canResolve={user.can.includes("objection.resolve")}
        onResolved={() => setTick((n) => n + 1)}
      />
    </div>
  );
}
