/** 公示异议 — a case's (or a notice's) objections with their resolution; the village resolves them. */
import { App, Button, Empty, Form, Input, Modal, Radio, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useApiError } from "../components/use-api-error.tsx";
import { chinaDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useCasesText } from "./cases.i18n.ts";
import { type CaseDetail, casesApi, type Objection } from "./cases-api.ts";

interface ObjectionsTableProps {
  items: Objection[];
  canResolve: boolean;
  onResolved(c: CaseDetail | null): void;
}

export function ObjectionsTable({ items, canResolve, onResolved }: ObjectionsTableProps) {
  const c = useCasesText();
  const [resolving, setResolving] = useState<Objection | undefined>(undefined);
  return (
    <>
      <Table<Objection>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={items}
        locale={{
          emptyText: <Empty description={c.noObjections} image={Empty.PRESENTED_IMAGE_SIMPLE} />,
        }}
        data-testid="objections"
        columns={[
          {
            title: c.receipt,
            dataIndex: "receipt",
            width: 150,
            render: (v: string) => <span className="mono">{v}</span>,
          },
          { title: c.objectionContent, dataIndex: "content" },
          {
            title: c.objector,
            dataIndex: "objector",
            width: 90,
            render: (v: string | null) =>
              v || <Typography.Text type="secondary">{c.anonymous}</Typography.Text>,
          },
          {
            title: c.receivedAt,
            dataIndex: "receivedAt",
            width: 140,
            render: (v: string) => <span className="num">{chinaDateTime(v)}</span>,
          },
          {
            title: c.resolution,
            key: "resolution",
            width: 280,
            render: (_: unknown, o) =>
              o.status === "open" ? (
                <Space>
                  <Tag color="orange">{c.objectionStatus.open}</Tag>
                  {canResolve && (
                    <Button
                      size="small"
                      type="primary"
                      onClick={() => setResolving(o)}
                      data-testid="resolve-objection"
                    >
                      {c.resolve}
                    </Button>
                  )}
                </Space>
              ) : (
                <div data-testid="objection-resolution">
                  <Tag color={o.outcome === "upheld" ? "red" : "green"}>
                    {c.outcomes[o.outcome ?? ""] ?? o.outcome}
                  </Tag>
                  <span>{o.resolution}</span>
                  <div className="muted">
                    {o.resolvedBy} · {o.resolvedAt ? chinaDateTime(o.resolvedAt) : ""}
                  </div>
                </div>
              ),
          },
        ]}
      />
      <ResolveModal
        objection={resolving}
        onClose={() => setResolving(undefined)}
        onDone={(r) => {
          setResolving(undefined);
          onResolved(r);
        }}
      />
    </>
  );
}

function ResolveModal({
  objection,
  onClose,
  onDone,
}: {
  objection: Objection | undefined;
  onClose(): void;
  onDone(c: CaseDetail | null): void;
}) {
  const c = useCasesText();
  const { t } = useI18n();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<{ outcome: "upheld" | "dismissed"; resolution: string }>();
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    if (!objection) return;
    let v: { outcome: "upheld" | "dismissed"; resolution: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    try {
      const r = await casesApi.resolveObjection(objection.id, {
        outcome: v.outcome,
        resolution: v.resolution.trim(),
      });
      message.success(c.resolved);
      onDone(r.case);
    } catch (e) {
      showError(e, { form });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={objection !== undefined}
      title={objection ? c.resolveTitle(objection.receipt) : ""}
      okText={t.common.save}
      cancelText={t.common.cancel}
      confirmLoading={saving}
      onOk={submit}
      onCancel={onClose}
      destroyOnHidden
      data-testid="resolve-modal"
    >
      {objection && (
        <Typography.Paragraph className="resolve-modal__content">
          {objection.content}
        </Typography.Paragraph>
      )}
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item
          name="outcome"
          label={c.outcome}
          rules={[{ required: true, message: c.outcome }]}
        >
          <Radio.Group>
            <Space orientation="vertical">
              <Radio value="dismissed" data-testid="outcome-dismissed">
                {c.outcomes.dismissed}{" "}
                <Typography.Text type="secondary">{c.dismissedHint}</Typography.Text>
              </Radio>
              <Radio value="upheld" data-testid="outcome-upheld">
                {c.outcomes.upheld}{" "}
                <Typography.Text type="secondary">{c.upheldHint}</Typography.Text>
              </Radio>
            </Space>
          </Radio.Group>
        </Form.Item>
        <Form.Item
          name="resolution"
          label={c.resolution}
          rules={[{ required: true, min: 2, whitespace: true, message: c.resolutionPlaceholder }]}
        >
          <Input.TextArea
            rows={3}
            maxLength={2000}
            placeholder={c.resolutionPlaceholder}
            data-testid="resolution"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
