/**
 * 接口令牌 — county administrators issue, list and revoke the API tokens department machines
 * upload their feeds with. A new token is shown once, in a dialog with a curl example.
 */
import { PlusOutlined } from "@ant-design/icons";
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { chinaDateTime, dateOf } from "../../format.ts";
import { useSession } from "../../session/session.tsx";
import { type FeedDefinition, feedDefinitions } from "../feeds/feeds-api.ts";
import { useTokensText } from "./tokens.i18n.ts";

export interface TokenView {
  id: number;
  name: string;
  department: string;
  feedTypes: string[];
  regionCode: string;
  regionName: string | null;
  prefix: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  status: "active" | "expired" | "revoked";
}

const STATUS_COLOR = { active: "green", expired: "default", revoked: "red" } as const;
const time = (v: string | null) => (v ? chinaDateTime(v) : null);
/** The last day (China time) a token is valid: the server keeps the first instant after it. */
const lastDay = (expiresAt: string) => dateOf(new Date(Date.parse(expiresAt) - 1).toISOString());

export function TokensPage() {
  const x = useTokensText();
  const { message } = App.useApp();
  const showError = useApiError();
  const { user } = useSession();
  const [tokens, setTokens] = useState<TokenView[]>([]);
  const [feeds, setFeeds] = useState<FeedDefinition[]>([]);
  const [adding, setAdding] = useState(false);
  const [saving, setSaving] = useState(false);
  const [created, setCreated] = useState<(TokenView & { token: string }) | null>(null);
  const [form] = Form.useForm();

  const load = useCallback(() => {
    api.get<{ items: TokenView[] }>("/api/tokens").then(
      (r) => setTokens(r.items),
      (e) => showError(e),
    );
  }, [showError]);
  useEffect(() => {
    load();
    feedDefinitions().then(
      (r) => setFeeds(r.items),
      (e) => showError(e),
    );
  }, [load, showError]);

  const feedName = (type: string) => feeds.find((f) => f.type === type)?.name ?? type;

  const submit = async () => {
    const v = (await form.validateFields()) as {
      name: string;
      department?: string;
      feedTypes: string[];
      region?: string;
      expiresOn?: Dayjs;
    };
    setSaving(true);
    try {
      const t = await api.post<TokenView & { token: string }>("/api/tokens", {
        name: v.name,
        feedTypes: v.feedTypes,
        ...(v.department ? { department: v.department } : {}),
        ...(v.region ? { region: v.region } : {}),
        ...(v.expiresOn ? { expiresOn: v.expiresOn.format("YYYY-MM-DD") } : {}),
      });
      setAdding(false);
      form.resetFields();
      setCreated(t);
      load();
    } catch (e) {
      showError(e, { form });
    } finally {
      setSaving(false);
    }
  };

  const revoke = async (t: TokenView) => {
    try {
      await api.post(`/api/tokens/${t.id}/revoke`);
      message.success(`${x.revoked}：${t.prefix}…`);
      load();
    } catch (e) {
      showError(e);
    }
  };

  const origin = typeof window === "undefined" ? "" : window.location.origin;
  const curl = created
    ? `curl -X POST \\\n  -H "Authorization: Bearer ${created.token}" \\\n  -H "Content-Type: text/csv" \\\n  --data-binary @${created.feedTypes[0]}-2026-10.csv \\\n  "${origin}/api/feeds/${created.feedTypes[0]}/loads?fileName=${created.feedTypes[0]}-2026-10.csv"`
    : "";

  return (
    <div className="page" data-testid="tokens-page">
      <Typography.Title level={4}>{x.title}</Typography.Title>
      <Typography.Paragraph type="secondary">{x.intro}</Typography.Paragraph>
      <Card
        className="page__card"
        extra={
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setAdding(true)}
            data-testid="token-create"
          >
            {x.create}
          </Button>
        }
      >
        <Table
          size="small"
          rowKey="id"
          dataSource={tokens}
          data-testid="tokens"
          pagination={{ pageSize: 20 }}
          scroll={{ x: 1100 }}
          columns={[
            { title: x.name, dataIndex: "name" },
            {
              title: x.prefix,
              dataIndex: "prefix",
              render: (v: string) => <Typography.Text code>{v}…</Typography.Text>,
            },
            { title: x.department, dataIndex: "department" },
            {
              title: x.feedTypes,
              dataIndex: "feedTypes",
              render: (v: string[]) => v.map((f) => <Tag key={f}>{feedName(f)}</Tag>),
            },
            {
              title: x.region,
              dataIndex: "regionCode",
              render: (v: string, t: TokenView) => t.regionName ?? v,
            },
            {
              title: x.expiresOn,
              dataIndex: "expiresAt",
              render: (v: string) => lastDay(v),
            },
            {
              title: x.lastUsed,
              dataIndex: "lastUsedAt",
              render: (v: string | null) => time(v) ?? x.never,
            },
            { title: x.createdBy, dataIndex: "createdBy" },
            {
              title: x.status,
              dataIndex: "status",
              render: (v: TokenView["status"]) => (
                <Tag color={STATUS_COLOR[v]}>{x.statuses[v] ?? v}</Tag>
              ),
            },
            {
              title: "",
              key: "actions",
              render: (_: unknown, t: TokenView) =>
                t.status === "active" && (
                  <Popconfirm title={x.revokeConfirm} onConfirm={() => revoke(t)}>
                    <Button size="small" danger data-testid={`token-revoke-${t.id}`}>
                      {x.revoke}
                    </Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
      </Card>

      <Modal
        open={adding}
        title={x.create}
        onCancel={() => setAdding(false)}
        onOk={submit}
        confirmLoading={saving}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          preserve={false}
          initialValues={{
            region: user?.regionCode ?? undefined,
            expiresOn: dayjs().add(1, "year"),
          }}
        >
          <Form.Item name="name" label={x.name} rules={[{ required: true, message: x.required }]}>
            <Input placeholder={x.namePlaceholder} maxLength={60} />
          </Form.Item>
          <Form.Item
            name="feedTypes"
            label={x.feedTypes}
            rules={[{ required: true, message: x.required }]}
          >
            <Select
              mode="multiple"
              data-testid="token-feed-types"
              options={feeds.map((f) => ({
                value: f.type,
                label: `${f.name}（${f.department}）`,
              }))}
            />
          </Form.Item>
          <Form.Item name="department" label={x.department} extra={x.departmentHint}>
            <Input maxLength={60} />
          </Form.Item>
          <Form.Item name="region" label={x.region} extra={x.regionHint}>
            <Input maxLength={12} />
          </Form.Item>
          <Form.Item name="expiresOn" label={x.expiresOn}>
            <DatePicker
              disabledDate={(d) =>
                d.isBefore(dayjs(), "day") || d.isAfter(dayjs().add(2, "year"), "day")
              }
            />
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        open={created !== null}
        title={x.createdTitle}
        closable={false}
        maskClosable={false}
        width={720}
        footer={
          <Button type="primary" onClick={() => setCreated(null)} data-testid="token-saved">
            {x.done}
          </Button>
        }
      >
        {created && (
          <Space direction="vertical" style={{ width: "100%" }}>
            <Alert type="warning" showIcon title={x.createdWarning} />
            <Typography.Paragraph copyable={{ text: created.token }} data-testid="token-secret">
              <Typography.Text code>{created.token}</Typography.Text>
            </Typography.Paragraph>
            <Typography.Text>{x.usage}</Typography.Text>
            <Typography.Paragraph copyable={{ text: curl }}>
              <pre style={{ whiteSpace: "pre-wrap", margin: 0 }}>{curl}</pre>
            </Typography.Paragraph>
          </Space>
        )}
      </Modal>
    </div>
  );
}
